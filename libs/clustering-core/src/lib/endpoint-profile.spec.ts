import fc from 'fast-check';
import { observeFlowOnEndpoints } from './endpoint-key';
import { decodeProfile, encodeProfile, EndpointProfile, hourOfWeek, mergeProfiles, type FlowObservation } from './endpoint-profile';
import { ClusteringCoreErrorCode } from './clustering-core.error';
import { IP_PROTOCOL, parseServiceKey, serviceKey, ServiceRole } from './service-ports';
import { synthesiseRoleFlows, FLOW_ROLE_NAMES } from '../testing/role-flows';

const MONDAY_10_UTC = Date.UTC(2024, 0, 1, 10);

interface SidedFlow {
  flow: FlowObservation;
  side: 'src' | 'dst';
  peer: string;
}

const SERVICE_PORTS = [22, 53, 443, 554, 5060, 9100];

/**
 * Flows whose server side is one of six service ports (the other side ephemeral), in request or response direction:
 * at most 2 roles x 2 protocols x 6 ports + ICMP/GRE = 28 service keys, within the exact top-k capacity of 32.
 */
const sidedFlow: fc.Arbitrary<SidedFlow> = fc
  .record({
    protocol: fc.constantFrom(IP_PROTOCOL.TCP, IP_PROTOCOL.UDP, IP_PROTOCOL.ICMP, 47),
    servicePort: fc.constantFrom(...SERVICE_PORTS),
    ephemeralPort: fc.integer({ min: 49152, max: 65535 }),
    response: fc.boolean(),
    tcpFlags: fc.integer({ min: 0, max: 63 }),
    bytes: fc.integer({ min: 0, max: 10_000_000 }),
    packets: fc.integer({ min: 0, max: 10_000 }),
    startMs: fc.integer({ min: MONDAY_10_UTC, max: MONDAY_10_UTC + 14 * 86_400_000 }),
    durationMs: fc.integer({ min: 0, max: 86_400_000 }),
    side: fc.constantFrom('src' as const, 'dst' as const),
    peer: fc.constantFrom('ip:10.0.0.1', 'ip:10.0.0.2', 'mac:00:11:22:33:44:55', 'ip:192.0.2.9'),
  })
  .map((r) => ({
    flow: {
      protocol: r.protocol,
      srcPort: r.response ? r.servicePort : r.ephemeralPort,
      dstPort: r.response ? r.ephemeralPort : r.servicePort,
      tcpFlags: r.tcpFlags,
      bytes: r.bytes,
      packets: r.packets,
      startMs: r.startMs,
      endMs: r.startMs + r.durationMs,
    },
    side: r.side,
    peer: r.peer,
  }));

/** Any ports at all: the service top-k overflows into its Count-Min sketch. */
const anyPortFlow: fc.Arbitrary<SidedFlow> = fc.record({
  flow: fc.record({
    protocol: fc.constantFrom(IP_PROTOCOL.TCP, IP_PROTOCOL.UDP),
    srcPort: fc.integer({ min: 1, max: 65535 }),
    dstPort: fc.integer({ min: 1, max: 65535 }),
    tcpFlags: fc.constant(0),
    bytes: fc.integer({ min: 0, max: 100_000 }),
    packets: fc.integer({ min: 0, max: 100 }),
    startMs: fc.constant(MONDAY_10_UTC),
    endMs: fc.constant(MONDAY_10_UTC),
  }),
  side: fc.constantFrom('src' as const, 'dst' as const),
  peer: fc.string({ maxLength: 6 }),
});

function build(flows: readonly SidedFlow[]): EndpointProfile {
  const profile = new EndpointProfile();
  for (const f of flows) profile.observe(f.flow, f.side, f.peer);
  return profile;
}

const bytesOf = (p: EndpointProfile): Uint8Array => encodeProfile(p);

describe('EndpointProfile', () => {
  it('counts a request it receives on a service port as inbound bytes in the server role', () => {
    const profile = new EndpointProfile();
    const role = profile.observe(
      { protocol: IP_PROTOCOL.TCP, srcPort: 51000, dstPort: 9100, tcpFlags: 0x1b, bytes: 300_000, packets: 250, startMs: MONDAY_10_UTC, endMs: MONDAY_10_UTC + 5000 },
      'dst',
      'ip:10.1.1.1',
    );
    expect(role).toBe(ServiceRole.SERVER);
    expect(profile.bytesIn).toBe(300_000);
    expect(profile.flowsAsServer).toBe(1);
    expect(profile.services.countOf(serviceKey(ServiceRole.SERVER, IP_PROTOCOL.TCP, 9100))).toBe(1);
    expect(Math.round(profile.serverServices.estimate())).toBe(1);
    expect(profile.businessHourFlows).toBe(1);
  });

  it('counts both records of one connection towards the same service and role', () => {
    const [request, response] = synthesiseRoleFlows('printer', '10.9.9.9', 1, 4).slice(0, 2);
    const profiles = new Map<string, EndpointProfile>();
    const of = (key: string): EndpointProfile => profiles.get(key) ?? (profiles.set(key, new EndpointProfile()).get(key) as EndpointProfile);
    observeFlowOnEndpoints(request, of);
    observeFlowOnEndpoints(response, of);
    const printer = profiles.get('ip:10.9.9.9') as EndpointProfile;
    const client = [...profiles.entries()].find(([k]) => k !== 'ip:10.9.9.9')![1];
    expect(printer.flowsIn).toBe(1);
    expect(printer.flowsOut).toBe(1);
    expect(printer.flowsAsServer + client.flowsAsServer).toBe(2);
    expect(client.flowsAsClient).toBe(printer.flowsAsServer);
    expect(Math.round(printer.peers.estimate())).toBe(1);
  });

  it('merges associatively and commutatively', () => {
    fc.assert(
      fc.property(fc.array(sidedFlow, { maxLength: 40 }), fc.array(sidedFlow, { maxLength: 40 }), fc.array(sidedFlow, { maxLength: 40 }), (a, b, c) => {
        const [pa, pb, pc] = [build(a), build(b), build(c)];
        expect(bytesOf(mergeProfiles(mergeProfiles(pa, pb), pc))).toEqual(bytesOf(mergeProfiles(pa, mergeProfiles(pb, pc))));
        expect(bytesOf(mergeProfiles(pa, pb))).toEqual(bytesOf(mergeProfiles(pb, pa)));
      }),
      { numRuns: 60 },
    );
  });

  it('merges two partial profiles into exactly the profile built from all flows', () => {
    fc.assert(
      fc.property(fc.array(sidedFlow, { maxLength: 60 }), fc.array(sidedFlow, { maxLength: 60 }), (a, b) => {
        expect(bytesOf(mergeProfiles(build(a), build(b)))).toEqual(bytesOf(build([...a, ...b])));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps counters, distinct counts and totals exact when the service top-k overflows', () => {
    fc.assert(
      fc.property(fc.array(anyPortFlow, { minLength: 30, maxLength: 80 }), fc.array(anyPortFlow, { minLength: 30, maxLength: 80 }), (a, b) => {
        const merged = mergeProfiles(build(a), build(b));
        const whole = build([...a, ...b]);
        expect(merged.services.overflowed).toBe(true);
        expect(mergeProfiles(build(b), build(a)).services.entries()).toEqual(merged.services.entries());
        const { topServices: _m, ...mergedFigures } = merged.summary();
        const { topServices: _w, ...wholeFigures } = whole.summary();
        expect(mergedFigures).toEqual(wholeFigures);
        expect(merged.services.total).toBe(whole.services.total);
        expect(merged.services.toSketch().equals(whole.services.toSketch())).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('serialises and deserialises to an equal profile', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(sidedFlow, anyPortFlow), { maxLength: 120 }), (flows) => {
        const profile = build(flows);
        const copy = decodeProfile(encodeProfile(profile));
        expect(encodeProfile(copy)).toEqual(encodeProfile(profile));
        expect(copy.summary()).toEqual(profile.summary());
      }),
      { numRuns: 60 },
    );
  });

  it('stays far below 4096 bytes for a week of every role, busy servers included', () => {
    for (const role of FLOW_ROLE_NAMES) {
      const flows = synthesiseRoleFlows(role, '10.50.0.1', 7, 9);
      const profile = new EndpointProfile();
      for (const f of flows) profile.observe(f, f.srcAddress === '10.50.0.1' ? 'src' : 'dst', `ip:${f.srcAddress === '10.50.0.1' ? f.dstAddress : f.srcAddress}`);
      expect(encodeProfile(profile).length).toBeLessThan(4096);
    }
  });

  it('marks the local hour of the week in the activity mask', () => {
    const profile = new EndpointProfile({ ...new EndpointProfile().parameters, utcOffsetMinutes: 120 });
    profile.observe({ protocol: IP_PROTOCOL.UDP, srcPort: 40000, dstPort: 53, tcpFlags: 0, bytes: 80, packets: 1, startMs: MONDAY_10_UTC, endMs: MONDAY_10_UTC }, 'src', 'ip:10.0.0.53');
    const bit = hourOfWeek(MONDAY_10_UTC, 120);
    expect(bit).toBe(12);
    expect(profile.activityMask[bit >>> 3] & (1 << (bit & 7))).not.toBe(0);
    expect(profile.activeHoursOfWeek()).toBe(1);
    expect(parseServiceKey(profile.services.entries()[0].key)).toEqual({ role: ServiceRole.CLIENT, protocol: IP_PROTOCOL.UDP, port: 53 });
  });

  it('refuses to merge profiles built with different parameters', () => {
    const other = new EndpointProfile({ ...new EndpointProfile().parameters, peerPrecision: 12 });
    expect(() => new EndpointProfile().mergeFrom(other)).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.INCOMPATIBLE_PARAMETERS }));
  });

  it('rejects bytes that are not a profile with CORRUPT_ENCODING', () => {
    expect(() => decodeProfile(Uint8Array.of(1, 2, 3))).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.CORRUPT_ENCODING }));
    const bytes = encodeProfile(build([]));
    expect(() => decodeProfile(bytes.subarray(0, bytes.length - 2))).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.CORRUPT_ENCODING }));
  });
});
