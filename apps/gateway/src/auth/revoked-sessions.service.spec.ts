import { EventSubjects, type SessionsRevokedEvent } from '@clarion/contracts';
import type { RedisClient } from '@clarion/persistence';
import { testLogger } from '@clarion/testing';
import type { GatewayEvents } from '../events/gateway-events.service';
import { RevokedSessions } from './revoked-sessions.service';

/** A Redis whose revoked set is a map (the store's one read), and the event bus as a captured listener. */
function harness(redisSet = new Map<string, number>()) {
  let listener: ((event: SessionsRevokedEvent) => void) | undefined;
  const events = { on: (subject: string, l: (event: SessionsRevokedEvent) => void) => subject === EventSubjects.sessionsRevoked && (listener = l) } as unknown as GatewayEvents;
  const redis = {
    client: {
      status: 'ready',
      zrangebyscore: async (_key: string, min: number) => [...redisSet].filter(([, until]) => until >= min).flatMap(([id, until]) => [id, String(until)]),
    },
  } as unknown as RedisClient;
  const revoked = new RevokedSessions(redis, events, testLogger());
  return { revoked, emit: (event: SessionsRevokedEvent) => listener?.(event), redisSet };
}

const TENANT = '7b0e6f9e-51b6-4d57-8a0a-0d8f0c0f1a11';

describe('RevokedSessions (the gateway’s in-memory set of ended sessions)', () => {
  afterEach(() => jest.useRealTimers());

  it('refuses a session from the moment its event arrives until its tokens have expired', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { revoked, emit } = harness();
    revoked.onApplicationBootstrap();
    expect(revoked.isRevoked('s-1')).toBe(false);
    emit({ tenantId: TENANT, sessionIds: ['s-1', 's-2'], until: new Date(1_000_000 + 60_000).toISOString() });
    expect(revoked.isRevoked('s-1') && revoked.isRevoked('s-2')).toBe(true);
    expect(revoked.isRevoked(undefined)).toBe(false);
    jest.setSystemTime(1_000_000 + 60_001);
    expect(revoked.isRevoked('s-1')).toBe(false);
    revoked.beforeApplicationShutdown();
  });

  it('catches up from Redis on a missed event, and tells listeners once per newly ended session', async () => {
    const later = Date.now() + 60_000;
    const { revoked, redisSet } = harness(new Map([['s-9', later]]));
    const told: string[][] = [];
    revoked.onRevoked((ids) => told.push([...ids]));
    await revoked.refresh();
    expect(revoked.isRevoked('s-9')).toBe(true);
    redisSet.set('s-10', later);
    await revoked.refresh();
    await revoked.refresh();
    expect(told).toEqual([['s-9'], ['s-10']]);
  });

  it('ignores an event it cannot read', () => {
    const { revoked, emit } = harness();
    revoked.onApplicationBootstrap();
    emit({ tenantId: TENANT, sessionIds: 'all' as unknown as string[], until: 'soon' });
    emit({ tenantId: TENANT, sessionIds: ['s-3'], until: 'not a date' });
    expect(revoked.isRevoked('s-3')).toBe(false);
    revoked.beforeApplicationShutdown();
  });
});
