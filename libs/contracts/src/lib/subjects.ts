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
  },
  ingest: {
    status: 'clarion.ingest.status.v1',
    exportersList: 'clarion.ingest.exporters.list.v1',
    exportersGet: 'clarion.ingest.exporters.get.v1',
  },
  clustering: {
    status: 'clarion.clustering.status.v1',
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

export const EventSubjects = {
  clustersUpdated: 'clarion.clusters.updated.v1',
} as const;
