/**
 * NATS subjects: `clarion.<service>.<verb>.v<major>`. Never write a subject literal at a call site; a breaking change
 * to a payload gets a new version next to the old one.
 */
export const Subjects = {
  auth: {
    status: 'clarion.auth.status.v1',
  },
  ingest: {
    status: 'clarion.ingest.status.v1',
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
