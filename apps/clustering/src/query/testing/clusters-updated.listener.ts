import { EventSubjects, type ClustersUpdatedEvent } from '@clarion/contracts';
// eslint-disable-next-line no-restricted-imports -- test support: imported by integration specs only
import { TestInfra } from '@clarion/testing';
import { connect, type NatsConnection } from 'nats';

/**
 * Subscribes to `clarion.clusters.updated.v1` on the test NATS server and appends every event to `events`; resolves
 * once the subscription is registered with the server. Close the returned connection in afterAll.
 */
export async function collectClustersUpdated(events: ClustersUpdatedEvent[]): Promise<NatsConnection> {
  const listener = await connect({ servers: TestInfra.natsUrl });
  const sub = listener.subscribe(EventSubjects.clustersUpdated);
  void (async () => {
    for await (const msg of sub) events.push(JSON.parse(Buffer.from(msg.data).toString('utf8')) as ClustersUpdatedEvent);
  })();
  await listener.flush();
  return listener;
}
