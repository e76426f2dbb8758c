import { LinkType, PcapFormatError, readCapture, readUdpDatagrams, udpDatagramOf } from './pcap-reader';
import { TcpFlag, ethernet, ipv4, ipv6, tcp, udp, writePcap } from './pcap-writer';

const payload = Uint8Array.from([0, 10, 0, 16, 1, 2, 3, 4]);

function pcapng(frames: Array<{ ticks: number; data: Uint8Array }>, options: { tsresol?: number; linkType?: number } = {}): Uint8Array {
  const blocks: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array): void => {
    const padded = Math.ceil(body.length / 4) * 4;
    const out = new Uint8Array(12 + padded);
    const view = new DataView(out.buffer);
    view.setUint32(0, type, true);
    view.setUint32(4, out.length, true);
    out.set(body, 8);
    view.setUint32(out.length - 4, out.length, true);
    blocks.push(out);
  };
  const shb = new Uint8Array(16);
  new DataView(shb.buffer).setUint32(0, 0x1a2b3c4d, true);
  new DataView(shb.buffer).setUint16(4, 1, true);
  new DataView(shb.buffer).setBigInt64(8, -1n, true);
  block(0x0a0d0d0a, shb);
  const idb = new Uint8Array(options.tsresol === undefined ? 8 : 20);
  const idbView = new DataView(idb.buffer);
  idbView.setUint16(0, options.linkType ?? LinkType.ETHERNET, true);
  idbView.setUint32(4, 65_535, true);
  if (options.tsresol !== undefined) {
    idbView.setUint16(8, 9, true);
    idbView.setUint16(10, 1, true);
    idb[12] = options.tsresol;
    // option 0 (end of options) follows as zeros
  }
  block(1, idb);
  for (const frame of frames) {
    const epb = new Uint8Array(20 + frame.data.length);
    const view = new DataView(epb.buffer);
    view.setUint32(4, Math.floor(frame.ticks / 2 ** 32), true);
    view.setUint32(8, frame.ticks % 2 ** 32, true);
    view.setUint32(12, frame.data.length, true);
    view.setUint32(16, frame.data.length, true);
    epb.set(frame.data, 20);
    block(6, epb);
  }
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  let p = 0;
  for (const b of blocks) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

describe('pcap reader', () => {
  it('reads UDP datagrams over Ethernet and IPv4 from a classic pcap with their capture time', () => {
    const file = writePcap([{ timestampMs: 1_700_000_000_123.456, data: ethernet(ipv4('192.0.2.1', '198.51.100.2', udp(50_000, 2055, payload))) }]);
    const [datagram, ...rest] = readUdpDatagrams(file);
    expect(rest).toEqual([]);
    expect(datagram).toMatchObject({ srcAddress: '192.0.2.1', dstAddress: '198.51.100.2', srcPort: 50_000, dstPort: 2055, payload });
    expect(datagram.timestampMs).toBeCloseTo(1_700_000_000_123.456, 3);
  });

  it('skips VLAN tags, and reads IPv6 past hop-by-hop options', () => {
    const tagged = ethernet(ipv4('10.0.0.1', '10.0.0.2', udp(1, 2, payload)), { vlan: 42 });
    const plain = ipv6('2001:db8::1', '2001:db8::2', udp(3, 4, payload));
    // Insert an 8-byte hop-by-hop header after the fixed IPv6 header.
    const withOptions = new Uint8Array(plain.length + 8);
    withOptions.set(plain.subarray(0, 40));
    withOptions[6] = 0; // next header: hop-by-hop
    withOptions[40] = 17; // hop-by-hop's next header: UDP
    withOptions.set(plain.subarray(40), 48);
    new DataView(withOptions.buffer).setUint16(4, plain.length - 40 + 8);
    const datagrams = readUdpDatagrams(writePcap([
      { timestampMs: 0, data: tagged },
      { timestampMs: 0, data: ethernet(withOptions) },
    ]));
    expect(datagrams.map((d) => [d.srcAddress, d.dstPort, d.payload])).toEqual([
      ['10.0.0.1', 2, payload],
      ['2001:db8::1', 4, payload],
    ]);
  });

  it('ignores TCP, fragments and non-IP frames', () => {
    const fragment = ipv4('10.0.0.1', '10.0.0.2', udp(1, 2, payload));
    new DataView(fragment.buffer).setUint16(6, 0x2000); // more fragments
    const arp = new Uint8Array(42);
    arp[12] = 0x08;
    arp[13] = 0x06;
    const file = writePcap([
      { timestampMs: 0, data: ethernet(ipv4('10.0.0.1', '10.0.0.2', tcp(1, 2, 0, 0, TcpFlag.SYN))) },
      { timestampMs: 0, data: ethernet(fragment) },
      { timestampMs: 0, data: arp },
    ]);
    expect(readCapture(file)).toHaveLength(3);
    expect(readUdpDatagrams(file)).toEqual([]);
  });

  it('reads Linux cooked (SLL) captures', () => {
    const ip = ipv4('10.0.0.1', '10.0.0.2', udp(1, 2, payload));
    const sll = new Uint8Array(16 + ip.length);
    sll[14] = 0x08;
    sll.set(ip, 16);
    expect(udpDatagramOf({ timestampMs: 0, linkType: LinkType.LINUX_SLL, data: sll })?.srcAddress).toBe('10.0.0.1');
  });

  it('reads big-endian, nanosecond classic pcap', () => {
    const frame = ethernet(ipv4('10.0.0.1', '10.0.0.2', udp(1, 2, payload)));
    const file = new Uint8Array(24 + 16 + frame.length);
    const view = new DataView(file.buffer);
    view.setUint32(0, 0xa1b23c4d, false);
    view.setUint32(20, LinkType.ETHERNET, false);
    view.setUint32(24, 1_700_000_000, false);
    view.setUint32(28, 500_000_000, false);
    view.setUint32(32, frame.length, false);
    view.setUint32(36, frame.length, false);
    file.set(frame, 40);
    expect(readCapture(file)).toEqual([{ timestampMs: 1_700_000_000_500, linkType: LinkType.ETHERNET, data: frame }]);
  });

  it('reads pcapng enhanced packet blocks with the interface timestamp resolution', () => {
    const frame = ethernet(ipv6('2001:db8::1', '2001:db8::2', udp(5, 6, payload)));
    const micro = readCapture(pcapng([{ ticks: 1_700_000_000_000_000, data: frame }]));
    const nano = readCapture(pcapng([{ ticks: 1_700_000_000_000_000_000 / 1, data: frame }], { tsresol: 9 }));
    expect(micro.map((f) => [f.timestampMs, f.data.length])).toEqual([[1_700_000_000_000, frame.length]]);
    expect(nano[0].timestampMs).toBeCloseTo(1_700_000_000_000, -1);
    expect(readUdpDatagrams(pcapng([{ ticks: 0, data: frame }]))[0].srcAddress).toBe('2001:db8::1');
  });

  it('refuses a file that is neither pcap nor pcapng', () => {
    expect(() => readCapture(new Uint8Array(32))).toThrow(PcapFormatError);
  });
});
