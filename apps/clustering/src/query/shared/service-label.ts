import type { EndpointProfileSummaryDto, ServiceUseDto } from '@clarion/contracts';
import { hasPorts, parseServiceKey, ServiceRole, serviceName, WELL_KNOWN_SERVICES, type EndpointProfileSummary } from '@clarion/clustering-core';
import type { LegacyProfileSummary } from '../../data';

/** "https", "dns", "jetdirect printing" for well-known ports of TCP/UDP/SCTP; otherwise "udp/16400", "icmp". */
export function serviceLabel(protocol: number, port: number): string {
  const known = hasPorts(protocol) ? WELL_KNOWN_SERVICES[port] : undefined;
  return known !== undefined ? known.toLowerCase() : serviceName(protocol, port);
}

/** A profile's service key (role, protocol, server port) with its flow count, as the API shows it. */
export function serviceUseOf(key: number, flows: number): ServiceUseDto {
  const { role, protocol, port } = parseServiceKey(key);
  return { role: role === ServiceRole.SERVER ? 'server' : 'client', protocol, port, service: serviceLabel(protocol, port), flows };
}

/**
 * A profile's summary as the API shows it (EndpointProfileSummaryDto): what the flow consumer stores with every merge,
 * so that endpoint pages are read without decoding profiles or labelling services.
 */
export function apiSummaryOf(summary: EndpointProfileSummary | LegacyProfileSummary): EndpointProfileSummaryDto {
  return {
    flows: summary.flows,
    flowsAsClient: summary.flowsAsClient,
    flowsAsServer: summary.flowsAsServer,
    bytesIn: summary.bytesIn,
    bytesOut: summary.bytesOut,
    packetsIn: summary.packetsIn,
    packetsOut: summary.packetsOut,
    distinctPeers: summary.distinctPeers,
    distinctClientServices: summary.distinctClientServices,
    distinctServerServices: summary.distinctServerServices,
    activeHoursOfWeek: summary.activeHoursOfWeek,
    topServices: summary.topServices.map((t) => serviceUseOf(t.key, t.flows)),
  };
}
