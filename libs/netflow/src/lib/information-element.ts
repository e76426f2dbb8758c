/**
 * Information element ids the decoder interprets. NetFlow v9 field types 1-127 are the same numbers as the IPFIX
 * information elements (RFC 3954 section 8, RFC 7012 / IANA "IPFIX Information Elements"), and exporters routinely
 * send IPFIX element ids above 127 in v9 templates too (Cisco ASA's 152/153, for example), so one table serves both.
 */
export const Ie = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  ingressInterface: 10,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  egressInterface: 14,
  /** IPFIX flowEndSysUpTime; v9 LAST_SWITCHED. */
  flowEndSysUpTime: 21,
  /** IPFIX flowStartSysUpTime; v9 FIRST_SWITCHED. */
  flowStartSysUpTime: 22,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  /** v9 SAMPLING_INTERVAL; IPFIX samplingInterval (deprecated, still sent). */
  samplingInterval: 34,
  /** v9 SAMPLING_ALGORITHM: 1 deterministic, 2 random. */
  samplingAlgorithm: 35,
  /** v9 FLOW_SAMPLER_ID; IPFIX samplerId. */
  samplerId: 48,
  /** v9 FLOW_SAMPLER_MODE; IPFIX samplerMode. */
  samplerMode: 49,
  /** v9 FLOW_SAMPLER_RANDOM_INTERVAL; IPFIX samplerRandomInterval. */
  samplerRandomInterval: 50,
  sourceMacAddress: 56,
  postDestinationMacAddress: 57,
  vlanId: 58,
  postVlanId: 59,
  flowDirection: 61,
  destinationMacAddress: 80,
  postSourceMacAddress: 81,
  octetTotalCount: 85,
  packetTotalCount: 86,
  flowStartSeconds: 150,
  flowEndSeconds: 151,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  flowStartMicroseconds: 154,
  flowEndMicroseconds: 155,
  flowStartNanoseconds: 156,
  flowEndNanoseconds: 157,
  flowStartDeltaMicroseconds: 158,
  flowEndDeltaMicroseconds: 159,
  systemInitTimeMilliseconds: 160,
  flowDurationMilliseconds: 161,
  flowDurationMicroseconds: 162,
  udpSourcePort: 180,
  udpDestinationPort: 181,
  tcpSourcePort: 182,
  tcpDestinationPort: 183,
  initiatorOctets: 231,
  dot1qVlanId: 243,
  postDot1qVlanId: 254,
  initiatorPackets: 298,
  selectorId: 302,
  selectorAlgorithm: 304,
  samplingPacketInterval: 305,
  samplingPacketSpace: 306,
  samplingTimeInterval: 307,
  samplingTimeSpace: 308,
  samplingSize: 309,
  samplingPopulation: 310,
  samplingProbability: 311,
} as const;

/** Variable-length marker in an IPFIX field specifier (RFC 7011 section 7). */
export const VARIABLE_LENGTH = 0xffff;

/** One field of a template: element id, length in bytes (65535 = variable), enterprise number (0 = IANA). */
export interface FieldSpecifier {
  id: number;
  length: number;
  enterprise: number;
}

/** A field the decoder should recognise by (element id, enterprise number). */
export interface FieldRef {
  id: number;
  /** Private enterprise number; omit or 0 for an IANA / NetFlow v9 element. */
  enterprise?: number;
}

export function matchesFieldRef(field: FieldSpecifier, ref: FieldRef): boolean {
  return field.id === ref.id && field.enterprise === (ref.enterprise ?? 0);
}
