/**
 * NATS subjects: `clarion.<service>.<verb>.v<major>`. Never write a subject literal at a call site; a breaking change
 * to a payload gets a new version next to the old one.
 */
export const Subjects = {
  auth: {
    status: 'clarion.auth.status.v1',
    login: 'clarion.auth.login.v1',
    refresh: 'clarion.auth.refresh.v1',
    logout: 'clarion.auth.logout.v1',
    sessionsList: 'clarion.auth.sessions.list.v1',
    sessionsRevoke: 'clarion.auth.sessions.revoke.v1',
    passwordChange: 'clarion.auth.password.change.v1',
    me: 'clarion.auth.me.v1',
    jwks: 'clarion.auth.jwks.v1',
    usersCreate: 'clarion.auth.users.create.v1',
    usersList: 'clarion.auth.users.list.v1',
    usersUpdate: 'clarion.auth.users.update.v1',
    usersResetPassword: 'clarion.auth.users.reset-password.v1',
    usersUnlock: 'clarion.auth.users.unlock.v1',
    apiKeysCreate: 'clarion.auth.apikeys.create.v1',
    apiKeysList: 'clarion.auth.apikeys.list.v1',
    apiKeysRevoke: 'clarion.auth.apikeys.revoke.v1',
    apiKeysVerify: 'clarion.auth.apikeys.verify.v1',
    auditRecord: 'clarion.auth.audit.record.v1',
    auditQuery: 'clarion.auth.audit.query.v1',
    ssoConfigure: 'clarion.auth.sso.configure.v1',
    ssoConfigGet: 'clarion.auth.sso.config.get.v1',
    ssoStart: 'clarion.auth.sso.start.v1',
    ssoCallback: 'clarion.auth.sso.callback.v1',
    tenantsList: 'clarion.auth.tenants.list.v1',
    tenantsGet: 'clarion.auth.tenants.get.v1',
    tenantsCreate: 'clarion.auth.tenants.create.v1',
    tenantsUpdate: 'clarion.auth.tenants.update.v1',
  },
  ingest: {
    status: 'clarion.ingest.status.v1',
    exportersList: 'clarion.ingest.exporters.list.v1',
    exportersGet: 'clarion.ingest.exporters.get.v1',
    exportersRegister: 'clarion.ingest.exporters.register.v1',
    exportersUpdate: 'clarion.ingest.exporters.update.v1',
    exportersUnregister: 'clarion.ingest.exporters.unregister.v1',
    exportersImport: 'clarion.ingest.exporters.import.v1',
    exportersExport: 'clarion.ingest.exporters.export.v1',
    flowsQuery: 'clarion.ingest.flows.query.v1',
  },
  clustering: {
    status: 'clarion.clustering.status.v1',
    endpointsList: 'clarion.clustering.endpoints.list.v1',
    endpointsGet: 'clarion.clustering.endpoints.get.v1',
    clustersList: 'clarion.clustering.clusters.list.v1',
    clustersGet: 'clarion.clustering.clusters.get.v1',
    sgtsList: 'clarion.clustering.sgts.list.v1',
    sgtsGet: 'clarion.clustering.sgts.get.v1',
    sgtsCreate: 'clarion.clustering.sgts.create.v1',
    sgtsUpdate: 'clarion.clustering.sgts.update.v1',
    sgtsDelete: 'clarion.clustering.sgts.delete.v1',
    membershipAssign: 'clarion.clustering.membership.assign.v1',
    membershipClear: 'clarion.clustering.membership.clear.v1',
    membershipHistory: 'clarion.clustering.membership.history.v1',
    policyMatrix: 'clarion.clustering.policy.matrix.v1',
    policySgacl: 'clarion.clustering.policy.sgacl.v1',
    policyImpact: 'clarion.clustering.policy.impact.v1',
    jobsRun: 'clarion.clustering.jobs.run.v1',
    jobsList: 'clarion.clustering.jobs.list.v1',
    jobsGet: 'clarion.clustering.jobs.get.v1',
    identityImport: 'clarion.clustering.identity.import.v1',
    sitesList: 'clarion.clustering.sites.list.v1',
    sitesGet: 'clarion.clustering.sites.get.v1',
    sitesCreate: 'clarion.clustering.sites.create.v1',
    sitesUpdate: 'clarion.clustering.sites.update.v1',
    sitesDelete: 'clarion.clustering.sites.delete.v1',
    addressSpacesList: 'clarion.clustering.address-spaces.list.v1',
    addressSpacesGet: 'clarion.clustering.address-spaces.get.v1',
    addressSpacesCreate: 'clarion.clustering.address-spaces.create.v1',
    addressSpacesUpdate: 'clarion.clustering.address-spaces.update.v1',
    addressSpacesDelete: 'clarion.clustering.address-spaces.delete.v1',
    subnetsList: 'clarion.clustering.subnets.list.v1',
    subnetsGet: 'clarion.clustering.subnets.get.v1',
    subnetsCreate: 'clarion.clustering.subnets.create.v1',
    subnetsUpdate: 'clarion.clustering.subnets.update.v1',
    subnetsDelete: 'clarion.clustering.subnets.delete.v1',
    inventoryImport: 'clarion.clustering.inventory.import.v1',
    inventoryExport: 'clarion.clustering.inventory.export.v1',
    inventoryClassify: 'clarion.clustering.inventory.classify.v1',
  },
  retention: {
    status: 'clarion.retention.status.v1',
  },
} as const;

/** JetStream streams and their subjects. Streams are created idempotently at boot by the services that use them. */
export const Streams = {
  flows: {
    name: 'FLOWS',
    subjects: ['clarion.flows.>'],
  },
} as const;

export const FlowSubjects = {
  /** A committed batch of flows, published by ingest after its COPY commits; the batch id is the message id. */
  batch: 'clarion.flows.batch.v1',
} as const;

/** Core NATS events (best effort, fan-out to every subscriber; not queue groups). */
export const EventSubjects = {
  /** Clusters, memberships or SGTs of a tenant changed (payload ClustersUpdatedEvent). */
  clustersUpdated: 'clarion.clusters.updated.v1',
  /** A clustering job changed stage or progress (payload ClusteringJobProgressEvent). */
  clusteringJobProgress: 'clarion.clustering.jobs.progress.v1',
  /** Sessions ended (logout, revocation, disable, password reset): their access tokens stop at once (SessionsRevokedEvent). */
  sessionsRevoked: 'clarion.auth.sessions.revoked.v1',
  /** A tenant was created, renamed, suspended or resumed (payload TenantChangedEvent). */
  tenantsChanged: 'clarion.auth.tenants.changed.v1',
  /** An exporter was registered, changed or unregistered (payload ExporterChangedEvent). */
  exportersChanged: 'clarion.ingest.exporters.changed.v1',
  /** Per-tenant ingest rates, every few seconds while flows arrive (payload IngestRatesEvent). */
  ingestRates: 'clarion.ingest.rates.v1',
} as const;

/** Durable JetStream consumers (one name per consuming service; its instances share it). */
export const Consumers = {
  clusteringFlows: 'clustering-flows',
} as const;
