// sFlow version 5 wire constants (sflow.org, "sFlow Version 5", July 2004). Everything is XDR (RFC 4506): big-endian
// 32-bit words, opaque data padded to a multiple of 4 bytes. Sample and record types are `enterprise << 12 | format`;
// every constant below is enterprise 0 (the standard structures), so an enterprise's own types never match one.

export const SFLOW_VERSION = 5;
export const SFLOW_DEFAULT_PORT = 6343;

/** Agent and next-hop address types (`address` union). */
export const SflowAddressType = { UNKNOWN: 0, IPV4: 1, IPV6: 2 } as const;

/** `sample_data` formats. */
export const SflowSampleFormat = {
  FLOW_SAMPLE: 1,
  COUNTERS_SAMPLE: 2,
  FLOW_SAMPLE_EXPANDED: 3,
  COUNTERS_SAMPLE_EXPANDED: 4,
} as const;

/** `flow_data` formats this decoder reads; the others are skipped by their length. */
export const SflowFlowRecordFormat = {
  SAMPLED_HEADER: 1,
  SAMPLED_ETHERNET: 2,
  SAMPLED_IPV4: 3,
  SAMPLED_IPV6: 4,
  EXTENDED_SWITCH: 1001,
  EXTENDED_ROUTER: 1002,
} as const;

/** `counter_data` formats this decoder reads. */
export const SflowCounterRecordFormat = { GENERIC_INTERFACE: 1 } as const;

/** `header_protocol` of a sampled header that this decoder parses (others give frame length and interfaces only). */
export const SflowHeaderProtocol = { ETHERNET: 1, IPV4: 11, IPV6: 12 } as const;

/** Fixed part of the datagram header after the agent address: sub-agent id, sequence, uptime, sample count. */
export const SFLOW_HEADER_TAIL_LENGTH = 16;
/** sequence, source id, sampling rate, sample pool, drops, input, output, record count. */
export const FLOW_SAMPLE_FIXED_LENGTH = 32;
/** sequence, source id type, source id index, rate, pool, drops, input format/value, output format/value, count. */
export const FLOW_SAMPLE_EXPANDED_FIXED_LENGTH = 44;
/** sequence, source id, record count. */
export const COUNTERS_SAMPLE_FIXED_LENGTH = 12;
/** sequence, source id type, source id index, record count. */
export const COUNTERS_SAMPLE_EXPANDED_FIXED_LENGTH = 16;
/** header protocol, frame length, stripped, header length (then the header bytes). */
export const SAMPLED_HEADER_FIXED_LENGTH = 16;
/** length, source MAC and destination MAC (6 bytes each, padded to 8), EtherType. */
export const SAMPLED_ETHERNET_LENGTH = 24;
/** length, protocol, source, destination, source port, destination port, TCP flags, ToS. */
export const SAMPLED_IPV4_LENGTH = 32;
/** length, protocol, source, destination (16 bytes each), ports, TCP flags, priority. */
export const SAMPLED_IPV6_LENGTH = 56;
/** source VLAN, source priority, destination VLAN, destination priority. */
export const EXTENDED_SWITCH_LENGTH = 16;
/** Generic interface counters (if_counters): 19 fields, three of them 64-bit. */
export const GENERIC_INTERFACE_COUNTERS_LENGTH = 88;

/** The 30-bit interface value of a compact flow sample that means "not known". */
export const SFLOW_UNKNOWN_INTERFACE = 0x3fffffff;

/**
 * True when a datagram starts with sFlow's 32-bit version 5 (bytes 0, 0, 0, 5). NetFlow and IPFIX start with their
 * 16-bit version 5, 9 or 10, never 0, so one socket can take both and tell them apart by these bytes.
 */
export function isSflowDatagram(datagram: Uint8Array): boolean {
  return datagram.length >= 4 && datagram[0] === 0 && datagram[1] === 0 && datagram[2] === 0 && datagram[3] === SFLOW_VERSION;
}
