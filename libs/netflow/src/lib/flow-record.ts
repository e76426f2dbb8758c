/** NetFlow version as carried in the first two bytes of every export packet (IPFIX calls itself version 10). */
export type NetflowVersion = 5 | 9 | 10;

/**
 * `FlowRecord.version` of flows decoded from sFlow version 5 datagrams: 100 + the sFlow version, so that a stored
 * sFlow flow is never read as NetFlow v5.
 */
export const SFLOW_V5_RECORD_VERSION = 105;

/** What `FlowRecord.version` holds: the NetFlow version, or SFLOW_V5_RECORD_VERSION. */
export type FlowVersion = NetflowVersion | typeof SFLOW_V5_RECORD_VERSION;

/**
 * One flow as the exporter reported it, normalised across NetFlow v5, v9 and IPFIX.
 *
 * Every decoder produces objects with exactly these properties in exactly this order, so V8 gives all of them one
 * hidden class and the code that consumes them stays monomorphic. Properties the exporter did not send are `null`
 * (for identifiers whose absence means something: MAC, VLAN, direction, SGT, addresses) or `0` (for counters, ports,
 * interfaces, flags, where 0 is also what v5 sends when it does not know).
 */
export interface FlowRecord {
  /** Address the export packet came from, as given to `decode`; for sFlow the agent address in the datagram. */
  exporter: string;
  /** v9 source id, IPFIX observation domain id, v5 `engineType << 8 | engineId`, sFlow sub-agent id. */
  observationDomain: number;
  version: FlowVersion;
  /** Template the record was decoded with (0 for v5 and sFlow). */
  templateId: number;
  /** IPv4 dotted quad or IPv6 in RFC 5952 form; null when the record carries no address. */
  srcAddress: string | null;
  dstAddress: string | null;
  srcPort: number;
  dstPort: number;
  /** IP protocol number (6 TCP, 17 UDP, ...). */
  protocol: number;
  /** TCP control bits as exported (IPFIX tcpControlBits may be 16 bits wide). */
  tcpFlags: number;
  /** Octets and packets scaled by `samplingRate`. */
  bytes: number;
  packets: number;
  /** Octets and packets exactly as exported, before scaling. */
  rawBytes: number;
  rawPackets: number;
  /** 1-in-N rate applied to `bytes`/`packets`; 1 when the flow was not sampled or the rate is unknown. */
  samplingRate: number;
  /** First and last packet of the flow, absolute Unix epoch milliseconds. */
  startMs: number;
  endMs: number;
  /** Input/output interface (SNMP ifIndex). */
  inputInterface: number;
  outputInterface: number;
  /** "aa:bb:cc:dd:ee:ff"; source from IE 56 (else 81), destination from IE 80 (else 57). */
  srcMac: string | null;
  dstMac: string | null;
  /** IE 58 vlanId and IE 59 postVlanId. */
  srcVlan: number | null;
  dstVlan: number | null;
  /** IE 61 flowDirection: 0 ingress, 1 egress. */
  direction: number | null;
  /** Cisco TrustSec source/destination group tags (field types 34000/34001 unless configured otherwise). */
  srcSgt: number | null;
  dstSgt: number | null;
  /** True when the data arrived before its template, was held, and was decoded when the template came. */
  fromHeldData: boolean;
}
