// A real sFlow agent: captures of what pmacct's pmacctd (sfprobe plugin) sent for known traffic, decoded here and
// compared sample by sample with what nfdump's sfcapd stored from the same datagrams. See libs/netflow/fixtures/ORIGIN.md.
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
// tools/ is not an Nx project (no alias to import it by); this test-only import of the capture reader is deliberate.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { readUdpDatagrams } from '../../../../tools/pcap/pcap-reader';
import type { FlowRecord } from './flow-record';
import { SflowDecoder } from './sflow-decoder';
import { SFLOW_UNKNOWN_INTERFACE } from './sflow-format';
import type { SflowInterfaceCounters } from './sflow-result';

const FIXTURES = resolve(__dirname, '..', '..', 'fixtures', 'sfprobe');
/** nfdump prints TCP flags as CWR ECE URG ACK PSH RST SYN FIN, a dot for each bit not set. */
const FLAG_LETTERS = 'CEUAPRSF';

/** One line of `nfdump -o 'fmt:%sa,%da,%sp,%dp,%pr,%flg,%pkt,%byt,%in,%out,%svln,%dvln,%ismc,%odmc'`, as our record would read. */
function sfcapdSample(line: string): string {
  const [sa, da, sp, dp, pr, flg, pkt, byt, input, output, svln, dvln, smac, dmac] = line.split(',').map((c) => c.trim());
  let flags = 0;
  for (let i = 0; i < 8; i++) if (flg[i] !== '.') flags |= 0x80 >> FLAG_LETTERS.indexOf(flg[i]);
  // sfcapd keeps the agent's "unknown interface" value; the decoder reports 0 for it, like NetFlow's absent interfaces.
  const ifIndex = (text: string) => (Number(text) === SFLOW_UNKNOWN_INTERFACE ? 0 : Number(text));
  return [sa, da, sp, dp, pr, flags, pkt, byt, ifIndex(input), ifIndex(output), svln, dvln, smac, dmac].join(' ');
}

function ourSample(r: FlowRecord): string {
  return [r.srcAddress, r.dstAddress, r.srcPort, r.dstPort, r.protocol, r.tcpFlags, r.packets, r.bytes, r.inputInterface, r.outputInterface, r.srcVlan, r.dstVlan, r.srcMac, r.dstMac].join(' ');
}

describe.each(readdirSync(FIXTURES).sort())('sFlow from pmacctd sfprobe: %s', (folder) => {
  const datagrams = readUdpDatagrams(readFileSync(resolve(FIXTURES, folder, 'traffic-00.pcap')));
  const reference = readFileSync(resolve(FIXTURES, folder, 'output-flow-00.csv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const rate = Number(/rate(\d+)$/.exec(folder)?.[1]);
  const decoder = new SflowDecoder({ sampleDetails: true });
  const records: FlowRecord[] = [];
  const counters: Array<{ counters: SflowInterfaceCounters; samplesBefore: number }> = [];
  const errors: unknown[] = [];
  for (const d of datagrams) {
    const result = decoder.decode(d.payload, d.srcAddress, d.timestampMs);
    errors.push(...result.errors);
    for (const c of result.interfaceCounters) counters.push({ counters: c, samplesBefore: records.length });
    records.push(...result.records);
  }

  it('decodes every datagram without an error, one flow per flow sample, every one from the configured agent', () => {
    expect(errors).toEqual([]);
    expect(records.length).toBe(reference.length);
    expect(new Set(records.map((r) => `${r.exporter}/${r.observationDomain}/${r.version}/${r.samplingRate}`))).toEqual(new Set([`192.0.2.77/3/105/${rate}`]));
    expect(decoder.agentStatuses()[0].subAgents).toEqual([expect.objectContaining({ subAgentId: 3, lostDatagrams: 0, lostRecords: 0, resets: 0 })]);
  });

  it('gives every sample exactly what sfcapd stored from it: addresses, ports, protocol, flags, scaled packets and bytes, VLANs, MACs', () => {
    expect(records.map(ourSample).sort()).toEqual(reference.map(sfcapdSample).sort());
    for (const r of records) expect([r.packets, r.bytes]).toEqual([rate, r.rawBytes * rate]);
  });

  it('reads the generic interface counters the agent sent, which count the packets and octets it saw', () => {
    expect(counters).toHaveLength(1);
    const [{ counters: c, samplesBefore }] = counters;
    expect(c).toMatchObject({ exporter: '192.0.2.77', subAgentId: 3, ifType: 6, ifSpeed: 100_000_000, ifDirection: 1, adminUp: true, operUp: true, outOctets: 0 });
    if (rate === 1) {
      // Unsampled, every packet before the counters is a flow sample: the counters add up what those samples say
      // (octets without the 4-byte FCS that the samples' frame length includes).
      expect(c.inUnicastPackets).toBe(samplesBefore);
      expect(c.inOctets).toBe(records.slice(0, samplesBefore).reduce((n, r) => n + r.rawBytes - 4, 0));
    } else {
      expect(c.inUnicastPackets).toBeGreaterThan(samplesBefore);
    }
  });
});
