/**
 * One flow record as the simulated exporter reports it. The properties are those of @clarion/netflow's FlowRecord
 * that an exporter decides (the collector adds exporter address, version, template and sampling), so a decoded
 * record can be compared with the flow it came from field by field.
 */
export interface SimulatedFlow {
  /** Index of the simulated exporter (access switch) that reports the flow. */
  exporter: number;
  /** IPv4 dotted quad or IPv6 in RFC 5952 form. */
  srcAddress: string;
  dstAddress: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
  tcpFlags: number;
  bytes: number;
  packets: number;
  /** First and last packet, epoch milliseconds (simulated time). */
  startMs: number;
  endMs: number;
  inputInterface: number;
  outputInterface: number;
  /** "aa:bb:cc:dd:ee:ff". */
  srcMac: string;
  dstMac: string;
  srcVlan: number;
  dstVlan: number;
  /** 0 ingress, 1 egress. */
  direction: number;
  /** TrustSec tags; both null when the flow is not tagged. */
  srcSgt: number | null;
  dstSgt: number | null;
}
