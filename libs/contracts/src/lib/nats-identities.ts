import { queueGroupOf, SERVICE_NAMES, type ServiceName } from './services';
import { Consumers, EventSubjects, FlowSubjects, Streams, Subjects } from './subjects';

/**
 * Who may say what on NATS: each service's identity, with exactly the subjects it needs, derived from the subject
 * tables above so the server's permissions and the code cannot drift. `tools/nats` renders the nats-server
 * configuration from this (deploy/nats/nats-server.conf; a test compares the two), and a test against a real
 * nats-server with that configuration tries every identity against every subject.
 *
 * - Request/reply: a service subscribes to its own request subjects in its queue group and answers through
 *   `allow_responses` (it may publish to a reply subject only while answering a request it received). Callers
 *   publish requests and read the replies on their own inbox prefix (`_INBOX_<service>`), which nobody else may read,
 *   so passwords, API keys and tokens in replies are seen by the caller alone.
 * - Events: only the service that owns an event publishes it.
 * - JetStream: the FLOWS stream's owner (ingest) and its consumer (clustering) may create and read it; only ingest may
 *   publish flow batches; nobody but the operator identity may delete or purge a stream or a consumer.
 */
export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /** May answer requests it received (a one-time permission on each reply subject). */
  allowResponses: boolean;
}

/** The identities nats-server knows: one per service, and the operator's (streams and consumers administration). */
export const NATS_IDENTITIES = [...SERVICE_NAMES, 'operator'] as const;
export type NatsIdentity = (typeof NATS_IDENTITIES)[number];

/** The prefix of a service's reply inboxes (nats.js and Nest's client both take it as `inboxPrefix`). */
export const inboxPrefixOf = (identity: NatsIdentity): string => `_INBOX_${identity}`;

const requestSubjectsOf = (service: Exclude<ServiceName, 'gateway'>): string[] => Object.values(Subjects[service]);

/** Every request subject that services answer, by the service that answers it. */
export const REQUEST_SUBJECTS: Record<Exclude<ServiceName, 'gateway'>, string[]> = {
  auth: requestSubjectsOf('auth'),
  ingest: requestSubjectsOf('ingest'),
  clustering: requestSubjectsOf('clustering'),
  retention: requestSubjectsOf('retention'),
};

/**
 * Who may send requests, to which subjects, and vouch for a user or API key in them: the gateway alone (it is the HTTP
 * entry and the only caller today). A service verifies both from the caller's signed assertion before any handler
 * runs (libs/messaging, caller-assertion.ts), on top of NATS refusing the publish.
 */
export const REQUESTERS: Record<string, readonly ServiceName[]> = Object.fromEntries(
  Object.values(REQUEST_SUBJECTS)
    .flat()
    .map((subject) => [subject, ['gateway'] as const]),
);

/** The identities whose assertion of an end-user actor (a user's session or an API key) a service believes. */
export const ACTOR_ASSERTERS: readonly ServiceName[] = ['gateway'];

/** Who may publish each stream subject; its consumers verify the message signature against this. */
export const STREAM_PUBLISHERS: Record<string, readonly ServiceName[]> = {
  [FlowSubjects.batch]: ['ingest'],
};

/** Events and their one publisher. */
export const EVENT_PUBLISHERS: Record<string, ServiceName> = {
  [EventSubjects.clustersUpdated]: 'clustering',
  [EventSubjects.clusteringJobProgress]: 'clustering',
  [EventSubjects.ingestRates]: 'ingest',
  [EventSubjects.sessionsRevoked]: 'auth',
  [EventSubjects.tenantsChanged]: 'auth',
  [EventSubjects.exportersChanged]: 'ingest',
};

/** Events and the services that listen to them. */
export const EVENT_SUBSCRIBERS: Record<string, ServiceName[]> = {
  [EventSubjects.clustersUpdated]: ['gateway'],
  [EventSubjects.clusteringJobProgress]: ['gateway'],
  [EventSubjects.ingestRates]: ['gateway'],
  [EventSubjects.sessionsRevoked]: ['gateway'],
  // Every ingest instance routes exporters to tenants: a change made through one instance reaches the others.
  [EventSubjects.tenantsChanged]: ['ingest'],
  [EventSubjects.exportersChanged]: ['ingest'],
};

const stream = Streams.flows.name;
const consumer = Consumers.clusteringFlows;

/** The JetStream API calls that create, update and inspect the FLOWS stream (no delete, no purge). */
const flowStreamSetup = [`$JS.API.INFO`, `$JS.API.STREAM.INFO.${stream}`, `$JS.API.STREAM.CREATE.${stream}`, `$JS.API.STREAM.UPDATE.${stream}`];

/** What the operator may do beyond any service: administer every stream and consumer. */
const operatorPermissions: NatsPermissions = {
  publish: ['$JS.API.>', '$JS.ACK.>'],
  subscribe: [`${inboxPrefixOf('operator')}.>`],
  allowResponses: false,
};

function eventsPublishedBy(service: ServiceName): string[] {
  return Object.entries(EVENT_PUBLISHERS)
    .filter(([, publisher]) => publisher === service)
    .map(([subject]) => subject);
}

function eventsHeardBy(service: ServiceName): string[] {
  return Object.entries(EVENT_SUBSCRIBERS)
    .filter(([, listeners]) => listeners.includes(service))
    .map(([subject]) => subject);
}

/** The permissions of one identity. */
export function natsPermissionsOf(identity: NatsIdentity): NatsPermissions {
  if (identity === 'operator') return operatorPermissions;
  const service = identity;
  const publish: string[] = [...eventsPublishedBy(service)];
  // Request handlers subscribe to their subjects in their queue group only: a second, private subscriber under the
  // same identity could not read a share of the requests without also being one of the service's instances.
  const subscribe: string[] = [`${inboxPrefixOf(service)}.>`, ...eventsHeardBy(service)];
  if (service === 'gateway') {
    // The gateway is the HTTP entry: it calls every service's request subjects (and is the only one that does).
    publish.push(...Object.values(REQUEST_SUBJECTS).flat());
  } else {
    subscribe.push(...REQUEST_SUBJECTS[service].map((subject) => `${subject} ${queueGroupOf(service)}`));
  }
  if (service === 'ingest') {
    publish.push(FlowSubjects.batch, ...flowStreamSetup);
  }
  if (service === 'clustering') {
    publish.push(
      ...flowStreamSetup,
      `$JS.API.CONSUMER.CREATE.${stream}.${consumer}`,
      `$JS.API.CONSUMER.CREATE.${stream}.${consumer}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${consumer}`,
      `$JS.API.CONSUMER.INFO.${stream}.${consumer}`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
      `$JS.ACK.${stream}.${consumer}.>`,
    );
  }
  return { publish, subscribe, allowResponses: service !== 'gateway' };
}
