import type { ServiceUseDto } from '@clarion/contracts';
import { hasPorts, parseServiceKey, ServiceRole, serviceName, WELL_KNOWN_SERVICES } from '@clarion/clustering-core';

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
