import { endpointKeyOf, normaliseMac, observeFlowOnEndpoints } from './endpoint-key';
import { EndpointProfile } from './endpoint-profile';
import { IP_PROTOCOL } from './service-ports';

describe('endpoint keys', () => {
  it('prefers a unicast MAC and falls back to the IP address', () => {
    const flow = { srcAddress: '10.0.0.1', dstAddress: 'FE80::1', srcMac: '00-1A-2B-3C-4D-5E', dstMac: 'ff:ff:ff:ff:ff:ff' };
    expect(endpointKeyOf(flow, 'src')).toBe('mac:00:1a:2b:3c:4d:5e');
    expect(endpointKeyOf(flow, 'dst')).toBe('ip:fe80::1');
    expect(endpointKeyOf({ srcAddress: null, dstAddress: null }, 'src')).toBeNull();
  });

  it('ignores absent, zero, multicast and malformed MACs', () => {
    expect([null, '00:00:00:00:00:00', '01:00:5e:00:00:fb', 'zz:00:00:00:00:01', '001a2b3c4d5e'].map(normaliseMac)).toEqual([
      null, null, null, null, '00:1a:2b:3c:4d:5e',
    ]);
  });

  it('updates the source profile as outbound and the destination profile as inbound', () => {
    const profiles = new Map<string, EndpointProfile>();
    const changed = observeFlowOnEndpoints(
      { srcAddress: '10.0.0.1', dstAddress: '10.0.0.2', srcPort: 50000, dstPort: 443, protocol: IP_PROTOCOL.TCP, tcpFlags: 0, bytes: 900, packets: 3, startMs: 1, endMs: 2 },
      (key) => profiles.get(key) ?? (profiles.set(key, new EndpointProfile()).get(key) as EndpointProfile),
    );
    expect(changed).toEqual(['ip:10.0.0.1', 'ip:10.0.0.2']);
    expect(profiles.get('ip:10.0.0.1')!.bytesOut).toBe(900);
    expect(profiles.get('ip:10.0.0.2')!.bytesIn).toBe(900);
    expect(profiles.get('ip:10.0.0.2')!.flowsAsServer).toBe(1);
  });
});
