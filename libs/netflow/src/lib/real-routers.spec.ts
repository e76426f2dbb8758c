// Real routers: captures from Cisco ASR9k and Huawei routers (pmacct's public test suite), decoded here and compared
// with what pmacct's collector decoded from the same capture. See libs/netflow/fixtures/ORIGIN.md.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
// tools/ is not an Nx project (no alias to import it by); this test-only import of the capture reader is deliberate.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { readUdpDatagrams } from '../../../../tools/pcap/pcap-reader';
import { formatIpv4, formatIpv6 } from './address-format';
import { DecodeErrorReason } from './decode-error';
import type { FlowRecord } from './flow-record';
import { NetflowDecoder } from './netflow-decoder';
import { ipv4Bytes, ipv6Bytes } from '../testing/packet-builders';

// The captures live in the repository (libs/netflow/fixtures, origin in its ORIGIN.md).
const FIXTURES = resolve(__dirname, '..', '..', 'fixtures', 'pmacct');

/** pmacct prints the protocol by name (from its own table), or as a number when it has no name for it. */
const PROTOCOL_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, gre: 47, esp: 50, 'ipv6-icmp': 58, ospf: 89, pim: 103, vrrp: 112, sctp: 132 };

interface PmacctFlow {
  peer_ip_src: string;
  ip_src: string;
  ip_dst: string;
  port_src: number;
  port_dst: number;
  ip_proto: string;
  packets: number;
  bytes: number;
}

interface Totals {
  packets: number;
  bytes: number;
}

/** Canonical text of an address written by another program, so "::ffff:..." style differences cannot hide a bug. */
function canonical(address: string): string {
  return address.includes(':') ? formatIpv6(ipv6Bytes(address), 0) : formatIpv4(ipv4Bytes(address), 0);
}

function protocolNumber(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const number = PROTOCOL_NUMBERS[name];
  if (number === undefined) throw new Error(`protocol name ${name} missing from the test's table`);
  return number;
}

function addTo(groups: Map<string, Totals>, key: string, packets: number, bytes: number): void {
  const totals = groups.get(key) ?? { packets: 0, bytes: 0 };
  totals.packets += packets;
  totals.bytes += bytes;
  groups.set(key, totals);
}

const keyOf = (exporter: string, src: string, dst: string, srcPort: number, dstPort: number, protocol: number): string =>
  [exporter, src, dst, srcPort, dstPort, protocol].join(' ');

function pmacctGroups(folder: string): { groups: Map<string, Totals>; exporters: Set<string> } {
  const groups = new Map<string, Totals>();
  const exporters = new Set<string>();
  const lines = readFileSync(resolve(folder, 'output-flow-00.json'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  for (const line of lines) {
    const flow = JSON.parse(line) as PmacctFlow;
    exporters.add(flow.peer_ip_src);
    const key = keyOf(
      flow.peer_ip_src,
      canonical(flow.ip_src),
      canonical(flow.ip_dst),
      flow.port_src,
      flow.port_dst,
      protocolNumber(flow.ip_proto),
    );
    addTo(groups, key, flow.packets, flow.bytes);
  }
  return { groups, exporters };
}

function decodeCapture(folder: string): { records: FlowRecord[]; decoder: NetflowDecoder; errors: DecodeErrorReason[] } {
  const decoder = new NetflowDecoder();
  const records: FlowRecord[] = [];
  const errors: DecodeErrorReason[] = [];
  for (const datagram of readUdpDatagrams(readFileSync(resolve(folder, 'traffic-00.pcap')))) {
    const result = decoder.decode(datagram.payload, datagram.srcAddress, datagram.timestampMs);
    records.push(...result.records);
    errors.push(...result.errors.map((e) => e.reason));
  }
  return { records, decoder, errors };
}

describe('real routers (pmacct captures)', () => {
  it('finds the four router captures in the repository', () => {
    expect(existsSync(FIXTURES)).toBe(true);
    expect(readdirSync(FIXTURES).sort()).toEqual(
      expect.arrayContaining([
        '100-IPFIXv10-CISCO',
        '101-NFv9-CISCO-cust_primitives',
        '104-IPFIXv10-IPv6-CISCO-sampling_option',
        '106-IPFIXv10-HUAWEI-vrf_name',
      ]),
    );
  });

  const folders = existsSync(FIXTURES) ? readdirSync(FIXTURES).sort() : [];
  it.each(folders)('%s: per (exporter, addresses, ports, protocol) packets and bytes equal pmacct totals', (name) => {
    const folder = resolve(FIXTURES, name);
    const { records, decoder, errors } = decodeCapture(folder);
    const expected = pmacctGroups(folder);

    expect(errors).toEqual([]);
    expect(decoder.stats().held.sets).toBe(0);
    expect(records.length).toBeGreaterThan(0);

    // pmacct's test harness replays each capture from its own address (172.21.1.101 / fd25::101), while the decoder
    // sees the capture's source address. Each capture has exactly one exporter on each side; map one onto the other.
    const decodedExporters = new Set(records.map((r) => r.exporter));
    expect(decodedExporters.size).toBe(1);
    expect(expected.exporters.size).toBe(1);
    const [pmacctExporter] = [...expected.exporters];

    const actual = new Map<string, Totals>();
    for (const r of records) {
      expect(r.srcAddress).not.toBeNull();
      expect(r.dstAddress).not.toBeNull();
      // Sampled counts are the exported ones times the rate, and the rate is kept beside them.
      expect(r.packets).toBe(r.rawPackets * r.samplingRate);
      expect(r.bytes).toBe(r.rawBytes * r.samplingRate);
      addTo(actual, keyOf(pmacctExporter, r.srcAddress!, r.dstAddress!, r.srcPort, r.dstPort, r.protocol), r.packets, r.bytes);
    }
    const sorted = (m: Map<string, Totals>): Array<[string, Totals]> => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
    expect(sorted(actual)).toEqual(sorted(expected.groups));
  });

  it('applies the 1-in-256 rate from the Cisco options data (selector id scope) to the IPv6 capture', () => {
    const { records } = decodeCapture(resolve(FIXTURES, '104-IPFIXv10-IPv6-CISCO-sampling_option'));
    expect(records.map((r) => r.samplingRate)).toEqual(records.map(() => 256));
    expect(records.every((r) => r.exporter === '2a02:a90:4007:700::54')).toBe(true);
  });

  it('takes the inner header of Huawei SRv6 templates that repeat ports and protocol', () => {
    const { records } = decodeCapture(resolve(FIXTURES, '106-IPFIXv10-HUAWEI-vrf_name'));
    const tunnelled = records.filter((r) => r.templateId === 6017);
    expect(tunnelled.map((r) => [r.srcAddress, r.protocol])).toEqual([
      ['192.0.2.110', 17],
      ['192.0.2.110', 17],
    ]);
  });

  it('turns Huawei sysUpTime times into the absolute times pmacct reported, via systemInitTimeMilliseconds', () => {
    const folder = resolve(FIXTURES, '106-IPFIXv10-HUAWEI-vrf_name');
    const { records } = decodeCapture(folder);
    const lines = readFileSync(resolve(folder, 'output-flow-00.json'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const expected = lines
      .map((l) => JSON.parse(l) as { timestamp_start: string; timestamp_end: string })
      .map((f) => [Number(f.timestamp_start) * 1000, Number(f.timestamp_end) * 1000])
      .sort();
    expect(records.map((r) => [r.startMs, r.endMs]).sort()).toEqual(expected);
  });

  it('turns NetFlow v9 FIRST/LAST_SWITCHED into the seconds pmacct reported', () => {
    const folder = resolve(FIXTURES, '101-NFv9-CISCO-cust_primitives');
    const { records } = decodeCapture(folder);
    const lines = readFileSync(resolve(folder, 'output-flow-00.json'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    // pmacct keeps whole seconds: unix_secs - (sysUptime - FIRST_SWITCHED) / 1000 with integer division.
    const expected = lines
      .map((l) => JSON.parse(l) as { timestamp_start: string; timestamp_end: string })
      .map((f) => `${Number(f.timestamp_start)}-${Number(f.timestamp_end)}`)
      .sort();
    const actual = records.map((r) => `${Math.ceil(r.startMs / 1000)}-${Math.ceil(r.endMs / 1000)}`).sort();
    expect(actual).toEqual(expected);
  });
});
