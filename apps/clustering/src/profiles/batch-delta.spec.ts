import { EndpointProfile, observeFlowOnEndpoints } from '@clarion/clustering-core';
import type { FlowBatchFlow } from '@clarion/contracts';
import { buildBatchDelta } from './batch-delta';
import { ProfileCache } from './profile-cache';

const base: FlowBatchFlow = {
  srcAddress: '10.0.0.5',
  dstAddress: '10.0.0.9',
  srcMac: null,
  dstMac: null,
  srcPort: 51000,
  dstPort: 443,
  protocol: 6,
  tcpFlags: 0x1a,
  bytes: 400,
  packets: 3,
  startMs: 1_000_000,
  endMs: 1_002_000,
  srcSgt: 7,
  dstSgt: null,
};

describe('buildBatchDelta', () => {
  it('orients a request and its response as one client-to-server edge with the tags of each side', () => {
    const response: FlowBatchFlow = { ...base, srcAddress: '10.0.0.9', dstAddress: '10.0.0.5', srcPort: 443, dstPort: 51000, srcSgt: null, dstSgt: 7, bytes: 9000, endMs: 1_005_000 };
    const delta = buildBatchDelta([base, response]);
    expect(delta.edges).toEqual([
      { clientKey: 'ip:10.0.0.5', serverKey: 'ip:10.0.0.9', protocol: 6, port: 443, clientTag: 7, serverTag: -1, flows: 2, bytes: 9400, packets: 6, firstSeenMs: 1_000_000, lastSeenMs: 1_005_000 },
    ]);
  });

  it('builds the same per-endpoint profiles as observing the flows one by one', () => {
    const flows = [base, { ...base, srcAddress: '10.0.0.6', srcMac: '02:00:00:00:00:01', dstPort: 80 }, { ...base, protocol: 17, dstPort: 53, tcpFlags: 0 }];
    const expected = new Map<string, EndpointProfile>();
    for (const f of flows) observeFlowOnEndpoints(f, (k) => expected.get(k) ?? expected.set(k, new EndpointProfile()).get(k)!);
    const delta = buildBatchDelta(flows);
    expect([...delta.profiles.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, profile] of expected) expect(delta.profiles.get(key)!.summary()).toEqual(profile.summary());
    expect(delta.sightings.get('mac:02:00:00:00:00:01')).toEqual({ address: '10.0.0.6', addressSeenMs: 1_002_000, mac: '02:00:00:00:00:01' });
  });

  it('keeps the address of the latest flow of a MAC-keyed endpoint, whatever the order of the records', () => {
    const later = { ...base, srcMac: '02:00:00:00:00:02', srcAddress: '10.0.0.7', startMs: 2_000_000, endMs: 2_000_500 };
    const earlier = { ...base, srcMac: '02:00:00:00:00:02', srcAddress: '10.0.0.8' };
    expect(buildBatchDelta([later, earlier]).sightings.get('mac:02:00:00:00:00:02')?.address).toBe('10.0.0.7');
    expect(buildBatchDelta([earlier, later]).sightings.get('mac:02:00:00:00:00:02')?.address).toBe('10.0.0.7');
  });

  it('makes no edge for a flow with an unknown side, but still profiles the known one', () => {
    const delta = buildBatchDelta([{ ...base, dstAddress: null }]);
    expect(delta.edges).toEqual([]);
    expect([...delta.profiles.keys()]).toEqual(['ip:10.0.0.5']);
  });
});

describe('ProfileCache', () => {
  it('evicts the least recently used profile once full, across tenants', () => {
    const cache = new ProfileCache(2);
    const p = new EndpointProfile();
    cache.set('t1', 'ip:a', p);
    cache.set('t2', 'ip:a', p);
    expect(cache.get('t1', 'ip:a')).toBe(p);
    cache.set('t1', 'ip:b', p);
    expect(cache.size).toBe(2);
    expect(cache.get('t2', 'ip:a')).toBeUndefined();
    expect(cache.get('t1', 'ip:a')).toBe(p);
  });

  it('keeps nothing with a bound of 0', () => {
    const cache = new ProfileCache(0);
    cache.set('t1', 'ip:a', new EndpointProfile());
    expect(cache.size).toBe(0);
    expect(cache.get('t1', 'ip:a')).toBeUndefined();
  });
});
