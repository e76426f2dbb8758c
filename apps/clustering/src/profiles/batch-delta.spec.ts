import { EndpointProfile, observeFlowOnEndpoints } from '@clarion/clustering-core';
import { AddressClassifier, type FlowBatchFlow } from '@clarion/contracts';
import fc from 'fast-check';
import { DEFAULT_MAC_ADDRESS_LIMIT, buildBatchDelta, endpointScopeOf, type EndpointScope } from './batch-delta';
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

describe('buildBatchDelta over the tenant network (only internal hosts are endpoints)', () => {
  const routerMac = '00:00:0c:aa:bb:01';
  const scope = (macAddressLimit = DEFAULT_MAC_ADDRESS_LIMIT, known: string[] = []): EndpointScope =>
    endpointScopeOf(new AddressClassifier({ addressSpaces: [{ cidr: '10.9.0.0/16', kind: 'external' }], subnets: [{ cidr: '198.51.100.0/24' }] }), new Set(known), macAddressLimit);

  it('makes no endpoint of an external side; the internal side keeps the traffic with the external peer', () => {
    const out = { ...base, dstAddress: '142.250.1.1' };
    const back = { ...base, srcAddress: '142.250.1.1', dstAddress: '10.0.0.5', srcPort: 443, dstPort: 51000, srcSgt: null, endMs: 1_003_000 };
    const other = { ...base, dstAddress: '8.8.8.8', protocol: 17, dstPort: 53, tcpFlags: 0 };
    const delta = buildBatchDelta([out, back, other], scope());
    expect([...delta.profiles.keys()]).toEqual(['ip:10.0.0.5']);
    expect([...delta.sightings.keys()]).toEqual(['ip:10.0.0.5']);
    expect(delta.edges).toEqual([]);
    expect(delta.externalSides).toBe(3);
    const expected = new EndpointProfile();
    expected.observe(out, 'src', 'ip:142.250.1.1');
    expected.observe(back, 'dst', 'ip:142.250.1.1');
    expected.observe(other, 'src', 'ip:8.8.8.8');
    expect(delta.profiles.get('ip:10.0.0.5')!.summary()).toEqual(expected.summary());
    expect(delta.profiles.get('ip:10.0.0.5')!.flows).toBe(3);
  });

  it("follows the tenant's inventory: an external address space inside 10/8 and an internal subnet of public addresses", () => {
    const delta = buildBatchDelta([{ ...base, srcAddress: '10.9.1.1', dstAddress: '198.51.100.7' }], scope());
    expect([...delta.profiles.keys()]).toEqual(['ip:198.51.100.7']);
    expect(delta.externalSides).toBe(1);
  });

  it('records a MAC in front of external addresses as a router interface and keys its internal flows by address', () => {
    const fromInternet = { ...base, srcAddress: '142.250.1.1', srcMac: routerMac, dstAddress: '10.0.0.5', dstMac: '02:00:00:00:00:05' };
    const routed = { ...base, srcAddress: '10.1.0.9', srcMac: routerMac, dstAddress: '10.0.0.5', dstMac: '02:00:00:00:00:05' };
    const delta = buildBatchDelta([routed, fromInternet], scope());
    expect([...delta.routerMacs.entries()]).toEqual([[routerMac, { reason: 'external', internalAddresses: 1, lastSeenMs: 1_002_000 }]]);
    expect([...delta.routerMacsSeen]).toEqual([routerMac]);
    expect([...delta.profiles.keys()].sort()).toEqual(['ip:10.1.0.9', 'mac:02:00:00:00:00:05']);
    expect(delta.sightings.get('ip:10.1.0.9')).toEqual({ address: '10.1.0.9', addressSeenMs: 1_002_000, mac: null });
    expect(delta.edges.map((e) => [e.clientKey, e.serverKey])).toEqual([['ip:10.1.0.9', 'mac:02:00:00:00:00:05']]);
  });

  it('records a MAC seen with more internal addresses than the limit, and keeps one with as many as the limit', () => {
    const flows = (n: number, mac: string) => Array.from({ length: n }, (_, i) => ({ ...base, srcAddress: `10.2.0.${i + 1}`, srcMac: mac }));
    const many = buildBatchDelta(flows(5, routerMac), scope(4));
    expect(many.routerMacs.get(routerMac)).toEqual({ reason: 'addresses', internalAddresses: 5, lastSeenMs: 1_002_000 });
    expect([...many.profiles.keys()].filter((k) => k.startsWith('mac:'))).toEqual([]);
    const few = buildBatchDelta(flows(4, '02:00:00:00:00:44'), scope(4));
    expect(few.routerMacs.size).toBe(0);
    expect(few.profiles.has('mac:02:00:00:00:00:44')).toBe(true);
  });

  it("takes a host's link-local addresses as no sign of a router, and makes no endpoint of them", () => {
    const host = '02:00:00:00:00:66';
    const delta = buildBatchDelta(
      [
        { ...base, srcAddress: 'fe80::1:2', srcMac: host, dstAddress: 'fe80::9' },
        { ...base, srcAddress: '169.254.10.1', srcMac: host, dstAddress: '169.254.10.2' },
        { ...base, srcMac: host },
      ],
      scope(),
    );
    expect(delta.routerMacs.size).toBe(0);
    expect([...delta.profiles.keys()].sort()).toEqual(['ip:10.0.0.9', `mac:${host}`]);
    expect(delta.profiles.get(`mac:${host}`)?.flows).toBe(1);
  });

  it('never keys by a MAC already known as a router interface and does not report it again', () => {
    const delta = buildBatchDelta([{ ...base, srcMac: routerMac }], scope(4, [routerMac]));
    expect(delta.routerMacs.size).toBe(0);
    expect([...delta.routerMacsSeen]).toEqual([routerMac]);
    expect([...delta.profiles.keys()].sort()).toEqual(['ip:10.0.0.5', 'ip:10.0.0.9']);
  });

  it('by default takes RFC 1918, 100.64.0.0/10 and fc00::/7 as internal', () => {
    const delta = buildBatchDelta([
      { ...base, srcAddress: '100.64.3.3', dstAddress: 'fd00::9' },
      { ...base, srcAddress: '192.168.1.1', dstAddress: '2001:db8::1' },
      { ...base, srcAddress: '172.32.0.1', dstAddress: '172.31.0.1' },
    ]);
    expect([...delta.profiles.keys()].sort()).toEqual(['ip:100.64.3.3', 'ip:172.31.0.1', 'ip:192.168.1.1', 'ip:fd00::9']);
    expect(delta.externalSides).toBe(2);
  });

  it('property: no external address ever becomes an endpoint key, a sighting or an edge end', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const address = fc.oneof(
      fc.tuple(fc.constantFrom(10, 100, 172, 192, 8, 142, 198), octet, octet, octet).map((a) => a.join('.')),
      fc.tuple(fc.constantFrom('fd00', 'fc12', '2001', '2a00'), fc.integer({ min: 0, max: 0xffff })).map(([p, h]) => `${p}::${h.toString(16)}`),
    );
    const mac = fc.option(fc.constantFrom(routerMac, '02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'), { nil: null });
    const flowArb = fc.record({ srcAddress: fc.option(address, { nil: null }), dstAddress: fc.option(address, { nil: null }), srcMac: mac, dstMac: mac });
    fc.assert(
      fc.property(fc.array(flowArb, { maxLength: 40 }), fc.integer({ min: 1, max: 6 }), (sides, limit) => {
        const s = scope(limit);
        const flows = sides.map((f) => ({ ...base, ...f }));
        const delta = buildBatchDelta(flows, s);
        const keys = [...delta.profiles.keys(), ...delta.sightings.keys(), ...delta.edges.flatMap((e) => [e.clientKey, e.serverKey])];
        for (const key of keys) {
          if (key.startsWith('ip:')) expect(s.isInternal(key.slice(3))).toBe(true);
          else expect(delta.routerMacs.has(key.slice(4))).toBe(false);
        }
        for (const sighting of delta.sightings.values()) if (sighting.address !== null) expect(s.isInternal(sighting.address)).toBe(true);
        const external = flows.flatMap((f) => [f.srcAddress, f.dstAddress]).filter((a) => a !== null && !s.isInternal(a)).length;
        expect(delta.externalSides).toBe(external);
      }),
    );
  });
});
