/** The five deployables. Each NATS request/reply handler subscribes in the queue group of its service. */
export const SERVICE_NAMES = ['gateway', 'auth', 'ingest', 'clustering', 'retention'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Queue group of a service: N instances of it share the requests instead of each answering. */
export const queueGroupOf = (service: ServiceName): string => `clarion.${service}`;
