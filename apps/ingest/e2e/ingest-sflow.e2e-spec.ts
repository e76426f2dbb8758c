import { NatsServerProcess, waitFor } from '@clarion/testing';
import { SflowDecoder, formatIpv4, formatIpv6 } from '@clarion/netflow';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's pcap writer (tools/pcap), test-only
import { ethernet, ipv4, udp, writePcap, type FrameToWrite } from '../../../tools/pcap/pcap-writer';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the netflow library's address helpers for tests (libs/netflow/README.md)
import { ipv4Bytes, ipv6Bytes } from '../../../libs/netflow/src/testing/packet-builders';
import { runPmacctdSfprobe, startSfcapd, startUdpTee } from './support/exporters';
import { IngestUnderTest, createTenant, freeUdpPort, queryAsTenant, storedFlows } from './support/ingest-harness';
import { knownTraffic, totalsByTuple, tupleKey, type KnownFlow } from './support/known-traffic';

const AGENT = '192.0.2.77';
const SUB_AGENT = 3;
/** Ethernet header, 802.1Q tag and FCS: what an sFlow frame length counts beyond the IP packet. */
const FRAME_OVERHEAD = 14 + 4 + 4;
const FILLER_SOURCE = '198.51.100.1';

/** The VLAN a frame of traffic from `srcAddress` is tagged with: 100-106 from the address's last byte. */
function vlanOf(srcAddress: string): number {
  const bytes = srcAddress.includes(':') ? ipv6Bytes(srcAddress) : ipv4Bytes(srcAddress);
  return 100 + (bytes[bytes.length - 1] % 7);
}

/** 5-tuple key, source and IP length of an untagged Ethernet frame of the known traffic (IPv4/IPv6, TCP/UDP). */
function frameTuple(frame: Uint8Array): { key: string; srcAddress: string; ipLength: number } {
  const ip = frame.subarray(14);
  const v6 = ip[0] >> 4 === 6;
  const view = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  const l4 = v6 ? 40 : (ip[0] & 0x0f) * 4;
  // RFC 5952 text, as PostgreSQL's host() gives the stored addresses back.
  const flow = {
    srcAddress: v6 ? formatIpv6(ip, 8) : formatIpv4(ip, 12),
    dstAddress: v6 ? formatIpv6(ip, 24) : formatIpv4(ip, 16),
    srcPort: view.getUint16(l4),
    dstPort: view.getUint16(l4 + 2),
    protocol: v6 ? ip[6] : ip[9],
  };
  return { key: tupleKey(flow), srcAddress: flow.srcAddress, ipLength: ip.length };
}

/**
 * A real sFlow agent end to end: a capture of known traffic (VLAN-tagged per source) replayed by pmacct's pmacctd with
 * its sfprobe plugin, through a relay that hands the very same datagrams to the built ingest service and to nfdump's
 * sfcapd. Stored flows are compared per 5-tuple with the traffic (sampling rate 1: exact) and with sfcapd (any rate:
 * the same datagrams give the same totals), and every flow must be its sampling rate times one frame of its 5-tuple.
 */
describe('ingest with a real sFlow agent (pmacctd sfprobe) and sfcapd', () => {
  let work: string;
  let pcap: string;
  let traffic: ReturnType<typeof knownTraffic>;
  /** IP lengths of the frames of each 5-tuple (the filler excluded). */
  const lengthsByTuple = new Map<string, Set<number>>();
  let frameCount = 0;
  const running: IngestUnderTest[] = [];
  const nats = new NatsServerProcess({ secure: true });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'clarion-ingest-sflow-e2e-'));
    await nats.start();
    traffic = knownTraffic({ startMs: Date.now() - 10 * 60_000, conversations: 48 });
    const frames: FrameToWrite[] = traffic.frames.map((f) => {
      const tuple = frameTuple(f.data);
      const lengths = lengthsByTuple.get(tuple.key) ?? new Set<number>();
      lengths.add(tuple.ipLength);
      lengthsByTuple.set(tuple.key, lengths);
      return { timestampMs: f.timestampMs, data: ethernet(f.data.subarray(14), { vlan: vlanOf(tuple.srcAddress), srcMac: '02:aa:00:00:00:01', dstMac: '02:bb:00:00:00:02' }) };
    });
    // pmacctd 1.7.7 hands its last buffer of packets to the plugin twice when it ends after a capture file; trailing
    // filler takes that duplication, away from the flows under test (see ingest-exporters.e2e-spec.ts).
    let t = frames[frames.length - 1].timestampMs;
    for (let i = 0; i < 300; i++) frames.push({ timestampMs: (t += 1), data: ethernet(ipv4(FILLER_SOURCE, '198.51.100.2', udp(9, 9, new Uint8Array(10)))) });
    frameCount = frames.length;
    pcap = join(work, 'known-traffic-vlans.pcap');
    await writeFile(pcap, writePcap(frames));
  });

  afterAll(async () => {
    for (const ingest of running) await ingest.stop();
    await nats.stop();
    await rm(work, { recursive: true, force: true });
  });

  async function ingestFor(prefix: string): Promise<{ ingest: IngestUnderTest; tenant: { id: string; slug: string } }> {
    const tenant = await createTenant(prefix);
    const ingest = await IngestUnderTest.start({ nats, tenantSlug: tenant.slug, spoolDir: join(work, `spool-${tenant.slug}`) });
    running.push(ingest);
    return { ingest, tenant };
  }

  const isFiller = (f: KnownFlow) => f.srcAddress === FILLER_SOURCE;

  /** pmacctd+sfprobe at `samplingRate` through the relay into ingest and sfcapd; returns what each stored. */
  async function replay(samplingRate: number, name: string): Promise<{ ingest: IngestUnderTest; tenantId: string; stored: Array<KnownFlow & { version: number }>; fromSfcapd: KnownFlow[] }> {
    const { ingest, tenant } = await ingestFor(name);
    const sfcapdPort = await freeUdpPort();
    const sfcapd = await startSfcapd(join(work, `sfcapd-${name}`), sfcapdPort);
    const tee = await startUdpTee([ingest.sflowPort, sfcapdPort]);
    await runPmacctdSfprobe(pcap, tee.port, { samplingRate, agent: AGENT, subAgentId: SUB_AGENT }, join(work, `pmacctd-${name}`));
    await tee.close();
    const fromSfcapd = await sfcapd.stop();
    expect(fromSfcapd.length).toBeGreaterThan(0);
    await waitFor(async () => (await storedFlows(tenant.id)).length >= fromSfcapd.length, 20_000, `${fromSfcapd.length} flows stored`);
    return { ingest, tenantId: tenant.id, stored: await storedFlows(tenant.id), fromSfcapd };
  }

  /** Same 5-tuples and per 5-tuple the same number of flows, packets and bytes (and the same totals). */
  function expectSameTotals(actual: KnownFlow[], expected: KnownFlow[]): void {
    const a = totalsByTuple(actual);
    const e = totalsByTuple(expected);
    expect([...a.byTuple.keys()].sort()).toEqual([...e.byTuple.keys()].sort());
    for (const [key, totals] of e.byTuple) expect({ key, ...a.byTuple.get(key) }).toEqual({ key, ...totals });
    expect({ flows: a.flows, packets: a.packets, bytes: a.bytes }).toEqual({ flows: e.flows, packets: e.packets, bytes: e.bytes });
  }

  it('at sampling rate 1 stores one flow per packet: per 5-tuple the packets and frame bytes of the traffic, and what sfcapd stores', async () => {
    const { ingest, tenantId, stored, fromSfcapd } = await replay(1, 'sflow-rate-1');
    expect(new Set(stored.map((f) => f.version))).toEqual(new Set([105]));
    expectSameTotals(stored, fromSfcapd);
    // Against the traffic itself: every packet is a sample, its bytes the frame on the wire (Ethernet, tag, FCS).
    const expected = traffic.flows.map((f) => ({ ...f, bytes: f.bytes + FRAME_OVERHEAD * f.packets }));
    const perPacket = totalsByTuple(stored.filter((f) => !isFiller(f)));
    for (const f of expected) expect({ key: tupleKey(f), ...perPacket.byTuple.get(tupleKey(f)) }).toEqual({ key: tupleKey(f), flows: f.packets, packets: f.packets, bytes: f.bytes });
    expect(perPacket.byTuple.size).toBe(expected.length);
    expect(stored.filter(isFiller).reduce((n, f) => n + f.packets, 0)).toBeGreaterThanOrEqual(300);

    // The agent as the exporter, its sub-agent as the domain, the VLAN of the frame, nothing lost or rejected.
    const rows = await queryAsTenant<{ exporter: string; domain: string; rate: number; src: string; vlan: number | null; mac: string }>(
      tenantId,
      `SELECT DISTINCT host(exporter) AS exporter, observation_domain AS domain, sampling_rate AS rate, host(src_address) AS src, src_vlan AS vlan, src_mac::text AS mac
         FROM flows WHERE src_address <> $1::inet`,
      [FILLER_SOURCE],
    );
    expect(new Set(rows.map((r) => `${r.exporter}/${r.domain}/${r.rate}/${r.mac}`))).toEqual(new Set([`${AGENT}/${SUB_AGENT}/1/02:aa:00:00:00:01`]));
    for (const r of rows) expect({ src: r.src, vlan: r.vlan }).toEqual({ src: r.src, vlan: vlanOf(r.src) });
    expect(await ingest.metric('clarion_ingest_records_total', { version: 'sflow', exporter: AGENT })).toBe(stored.length);
    expect(await ingest.metric('clarion_ingest_decode_errors_total')).toBe(0);
    expect(await ingest.metric('clarion_ingest_lost_records_total')).toBe(0);
    expect(await ingest.metric('clarion_ingest_sflow_lost_datagrams_total')).toBe(0);
    await waitFor(
      async () => (await queryAsTenant<{ records: string }>(tenantId, 'SELECT records FROM exporters WHERE address = $1::inet', [AGENT]))[0]?.records === String(stored.length),
      10_000,
      'registry flushed',
    );
    const [registered] = await queryAsTenant<{ domains: unknown; lost: string; rate: number }>(
      tenantId,
      'SELECT domains, lost_records AS lost, sampling_rate AS rate FROM exporters WHERE address = $1::inet',
      [AGENT],
    );
    expect(registered).toEqual({ domains: [{ version: 105, observationDomain: SUB_AGENT, templates: 0, optionsTemplates: 0, samplingRate: 1, lostRecords: 0 }], lost: '0', rate: 1 });
  });

  it('at 1 in 4 every flow is 4 packets and 4 times a frame of its 5-tuple, and the totals are sfcapd\'s for the same datagrams', async () => {
    const { ingest, stored, fromSfcapd } = await replay(4, 'sflow-rate-4');
    expectSameTotals(stored, fromSfcapd);
    for (const f of stored.filter((s) => !isFiller(s))) {
      expect(f.packets).toBe(4);
      const frame = f.bytes / 4 - FRAME_OVERHEAD;
      expect({ key: tupleKey(f), frameOfTuple: lengthsByTuple.get(tupleKey(f))?.has(frame) }).toEqual({ key: tupleKey(f), frameOfTuple: true });
    }
    // pmacctd samples at random: the scaled total is the capture's packet count within sampling error (about 200
    // samples of some 800 frames, plus the duplicated last buffer: 5 standard deviations is under 35 %).
    const packets = stored.reduce((n, f) => n + f.packets, 0);
    expect(Math.abs(packets - frameCount) / frameCount).toBeLessThan(0.35);
    expect(await ingest.metric('clarion_ingest_decode_errors_total')).toBe(0);
  });

  it('counts the datagrams and flow samples a lossy path dropped, per agent, in metrics and the registry', async () => {
    const { ingest, tenant } = await ingestFor('sflow-loss');
    const dropped = new Set([2, 5, 6, 11]);
    const tee = await startUdpTee([ingest.sflowPort], (index) => dropped.has(index));
    await runPmacctdSfprobe(pcap, tee.port, { samplingRate: 1, agent: AGENT, subAgentId: SUB_AGENT }, join(work, 'pmacctd-sflow-loss'));
    await tee.close();
    expect(tee.received.length).toBeGreaterThan(15);
    // What was dropped, read back with the decoder: its flow samples are the flows that must be counted lost.
    const reader = new SflowDecoder();
    const droppedSamples = [...dropped].reduce((n, i) => n + reader.decode(tee.received[i], '127.0.0.1', 0).flowSamples, 0);
    const sent = tee.received.reduce((n, d, i) => n + (dropped.has(i) ? 0 : new SflowDecoder().decode(d, '127.0.0.1', 0).records.length), 0);
    await waitFor(async () => (await storedFlows(tenant.id)).length >= sent, 20_000, `${sent} flows stored`);
    expect(await ingest.metric('clarion_ingest_sflow_lost_datagrams_total', { exporter: AGENT })).toBe(dropped.size);
    expect(await ingest.metric('clarion_ingest_lost_records_total', { exporter: AGENT })).toBe(droppedSamples);
    await waitFor(
      async () => (await queryAsTenant<{ lost: string }>(tenant.id, 'SELECT lost_records AS lost FROM exporters WHERE address = $1::inet', [AGENT]))[0]?.lost === String(droppedSamples),
      10_000,
      `registry shows ${droppedSamples} lost`,
    );
  });
});
