import {
  Consumers,
  EVENT_PUBLISHERS,
  EVENT_SUBSCRIBERS,
  FlowSubjects,
  inboxPrefixOf,
  NATS_IDENTITIES,
  queueGroupOf,
  REQUEST_SUBJECTS,
  SERVICE_NAMES,
  Streams,
  type NatsIdentity,
} from '@clarion/contracts';
import { NatsServerProcess } from '@clarion/testing';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { AckPolicy, connect, nkeyAuthenticator, nkeys, type NatsConnection } from 'nats';
import { natsConnectionOptions } from './nats-connection';

/**
 * Every identity against every subject, on a real nats-server running the configuration rendered from
 * libs/contracts (natsPermissionsOf), with TLS and one nkey per identity. An attempt is "refused" when the server
 * answers it with a permissions violation; "allowed" ones are proven by a message that actually arrives.
 */
describe('NATS identities and subject permissions (real nats-server, rendered configuration)', () => {
  const server = new NatsServerProcess({ secure: true });
  const connections = new Map<NatsIdentity, { nc: NatsConnection; violations: () => number }>();
  let attempts = 0;

  async function as(identity: NatsIdentity) {
    const known = connections.get(identity);
    if (known) return known;
    const nc = await connect({ ...natsConnectionOptions(server.clientOf(identity)), waitOnFirstConnect: false, maxReconnectAttempts: 0 });
    let violations = 0;
    void (async () => {
      for await (const status of nc.status()) if (status.type === 'error' && String(status.data) === 'PERMISSIONS_VIOLATION') violations += 1;
    })();
    const entry = { nc, violations: () => violations };
    connections.set(identity, entry);
    return entry;
  }

  /** Runs one attempt and tells whether the server refused it. */
  async function attempt(identity: NatsIdentity, act: (nc: NatsConnection) => void): Promise<'allowed' | 'refused'> {
    const { nc, violations } = await as(identity);
    const before = violations();
    act(nc);
    await nc.flush();
    await new Promise((r) => setImmediate(r));
    attempts += 1;
    return violations() > before ? 'refused' : 'allowed';
  }

  const others = (owner: NatsIdentity): NatsIdentity[] => NATS_IDENTITIES.filter((identity) => identity !== owner);
  const answering = Object.keys(REQUEST_SUBJECTS) as Array<keyof typeof REQUEST_SUBJECTS>;

  beforeAll(async () => {
    await server.start();
  });

  afterAll(async () => {
    for (const { nc } of connections.values()) await nc.close().catch(() => undefined);
    await server.stop();
    process.stdout.write(`NATS permission attempts tried ${attempts}\n`);
  });

  it('speaks TLS only and refuses anonymous clients and unknown keys', async () => {
    const info = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port: Number(new URL(server.url).port) });
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString());
      });
      socket.once('error', reject);
    });
    expect(JSON.parse(info.replace(/^INFO /, ''))).toMatchObject({ tls_required: true, auth_required: true });
    const tls = { caFile: server.credentials!.caFile };
    await expect(connect({ servers: server.url, tls, maxReconnectAttempts: 0 })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    const stranger = nkeys.createUser().getSeed();
    await expect(connect({ servers: server.url, tls, authenticator: nkeyAuthenticator(stranger), maxReconnectAttempts: 0 })).rejects.toMatchObject({
      code: 'AUTHORIZATION_VIOLATION',
    });
    expect(readFileSync(server.credentials!.seedFile('auth'), 'ascii')).toMatch(/^SU[A-Z2-7]+\n$/);
  });

  it('lets the gateway call every service, which answers on the gateway inbox only', async () => {
    for (const service of answering) {
      const { nc } = await as(service);
      const subject = REQUEST_SUBJECTS[service][0]!;
      const sub = nc.subscribe(subject, { queue: queueGroupOf(service), callback: (_err, msg) => msg.respond(`answer from ${service}`) });
      await nc.flush();
      const { nc: gateway } = await as('gateway');
      const reply = await gateway.request(subject, 'hello', { timeout: 2000 });
      expect(reply.string()).toBe(`answer from ${service}`);
      sub.unsubscribe();
    }
  });

  it('refuses a request (a forged actor) on every request subject from every identity but the gateway', async () => {
    for (const subject of Object.values(REQUEST_SUBJECTS).flat()) {
      for (const identity of others('gateway')) {
        expect({ identity, subject, outcome: await attempt(identity, (nc) => nc.publish(subject, '{"actor":{"tenantId":"forged"}}')) }).toEqual({
          identity,
          subject,
          outcome: 'refused',
        });
      }
    }
  });

  it('lets only a service subscribe to its own request subjects, and only in its queue group', async () => {
    for (const service of answering) {
      for (const subject of REQUEST_SUBJECTS[service]) {
        for (const identity of others(service)) {
          expect({ identity, subject, outcome: await attempt(identity, (nc) => nc.subscribe(subject, { queue: queueGroupOf(service) })) }).toEqual({
            identity,
            subject,
            outcome: 'refused',
          });
        }
        // Outside its queue group, not even the service itself: it would read a copy of every request.
        expect(await attempt(service, (nc) => nc.subscribe(subject))).toBe('refused');
      }
    }
  });

  it('keeps every inbox to its identity, and wildcards to nobody', async () => {
    for (const owner of NATS_IDENTITIES) {
      for (const identity of others(owner)) {
        expect({ identity, owner, outcome: await attempt(identity, (nc) => nc.subscribe(`${inboxPrefixOf(owner)}.>`)) }).toEqual({
          identity,
          owner,
          outcome: 'refused',
        });
      }
    }
    for (const identity of NATS_IDENTITIES) {
      for (const wildcard of ['>', 'clarion.>', '_INBOX.>', '$JS.API.>', 'clarion.flows.>']) {
        expect({ identity, wildcard, outcome: await attempt(identity, (nc) => nc.subscribe(wildcard)) }).toEqual({ identity, wildcard, outcome: 'refused' });
      }
    }
  });

  it('refuses an unsolicited reply into the gateway inbox (a spoofed JWKS answer)', async () => {
    for (const identity of others('gateway')) {
      expect(await attempt(identity, (nc) => nc.publish(`${inboxPrefixOf('gateway')}.spoof.1`, '{"keys":[]}'))).toBe('refused');
    }
  });

  it('lets only the owner of an event publish it, and each of its subscribers hear it', async () => {
    for (const [subject, owner] of Object.entries(EVENT_PUBLISHERS)) {
      const listeners = EVENT_SUBSCRIBERS[subject] ?? [];
      expect({ subject, listeners: listeners.length > 0 }).toEqual({ subject, listeners: true });
      const heard = await Promise.all(
        listeners.map(async (listener) => {
          const { nc } = await as(listener);
          const message = new Promise<string>((resolve) => nc.subscribe(subject, { max: 1, callback: (_err, msg) => resolve(msg.string()) }));
          await nc.flush();
          return { message };
        }),
      );
      expect(await attempt(owner, (nc) => nc.publish(subject, `from ${owner}`))).toBe('allowed');
      for (const { message } of heard) expect(await message).toBe(`from ${owner}`);
      for (const identity of others(owner)) expect({ identity, subject, outcome: await attempt(identity, (nc) => nc.publish(subject, 'x')) }).toMatchObject({ outcome: 'refused' });
    }
  });

  it('lets ingest publish flow batches and clustering consume them; nobody else publishes them, nobody but the operator deletes', async () => {
    const { nc: ingest } = await as('ingest');
    const jsm = await ingest.jetstreamManager();
    await jsm.streams.add({ name: Streams.flows.name, subjects: [...Streams.flows.subjects] });
    const ack = await ingest.jetstream().publish(FlowSubjects.batch, 'batch-1', { msgID: 'b1' });
    expect(ack.seq).toBe(1);

    const { nc: clustering } = await as('clustering');
    const cjsm = await clustering.jetstreamManager();
    await cjsm.consumers.add(Streams.flows.name, { durable_name: Consumers.clusteringFlows, ack_policy: AckPolicy.Explicit });
    const consumer = await clustering.jetstream().consumers.get(Streams.flows.name, Consumers.clusteringFlows);
    const message = await consumer.next({ expires: 2000 });
    expect(message?.string()).toBe('batch-1');
    message!.ack();
    await clustering.flush();

    for (const identity of SERVICE_NAMES.filter((s) => s !== 'ingest')) {
      expect({ identity, outcome: await attempt(identity, (nc) => nc.publish(FlowSubjects.batch, 'forged batch')) }).toEqual({ identity, outcome: 'refused' });
    }
    for (const identity of SERVICE_NAMES) {
      for (const api of [`$JS.API.STREAM.DELETE.${Streams.flows.name}`, `$JS.API.STREAM.PURGE.${Streams.flows.name}`, `$JS.API.CONSUMER.DELETE.${Streams.flows.name}.${Consumers.clusteringFlows}`]) {
        expect({ identity, api, outcome: await attempt(identity, (nc) => nc.publish(api)) }).toEqual({ identity, api, outcome: 'refused' });
      }
    }
    // A consumer of its own on FLOWS (a second reader of every batch) is refused to everyone but clustering's name.
    expect(await attempt('clustering', (nc) => nc.publish(`$JS.API.CONSUMER.CREATE.${Streams.flows.name}.eavesdropper`))).toBe('refused');

    const { nc: operator } = await as('operator');
    const ojsm = await operator.jetstreamManager();
    expect(await ojsm.streams.delete(Streams.flows.name)).toBe(true);
  });
});
