import { initiatorSide, IP_PROTOCOL, serverPortScore, servicePortOf, TCP_FLAG } from './service-ports';

const flow = (srcPort: number, dstPort: number, protocol: number = IP_PROTOCOL.TCP, tcpFlags = 0) => ({ srcPort, dstPort, protocol, tcpFlags });

describe('initiatorSide', () => {
  it('takes the source of a SYN without ACK as the client even from a well-known port', () => {
    expect(initiatorSide(flow(443, 51000, IP_PROTOCOL.TCP, TCP_FLAG.SYN))).toBe('src');
  });

  it('takes the side with the ephemeral port as the client of a request record', () => {
    expect(initiatorSide(flow(51514, 443))).toBe('src');
  });

  it('takes the destination as the client of a response record from a service port', () => {
    expect(initiatorSide(flow(9100, 50123, IP_PROTOCOL.TCP, TCP_FLAG.SYN | TCP_FLAG.ACK))).toBe('dst');
  });

  it('prefers a known service over a merely low port', () => {
    expect(initiatorSide(flow(1000, 3389))).toBe('src');
  });

  it('treats the lower of two registered ports as the server', () => {
    expect(initiatorSide(flow(20000, 16400, IP_PROTOCOL.UDP))).toBe('src');
  });

  it('treats an ICMP echo reply as answering the destination', () => {
    expect(initiatorSide(flow(0, 0, IP_PROTOCOL.ICMP))).toBe('dst');
    expect(initiatorSide(flow(0, 8 << 8, IP_PROTOCOL.ICMP))).toBe('src');
  });

  it('names the server port as the service port', () => {
    const response = flow(53, 40000, IP_PROTOCOL.UDP);
    expect(servicePortOf(response, initiatorSide(response))).toBe(53);
    expect(servicePortOf(flow(0, 0, IP_PROTOCOL.GRE), 'src')).toBe(0);
  });

  it('ranks ports known service > system > registered > ephemeral', () => {
    expect([serverPortScore(443), serverPortScore(999), serverPortScore(20000), serverPortScore(50000)]).toEqual([3, 2, 1, 0]);
  });
});
