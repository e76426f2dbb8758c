// What the port numbers of a flow say about who opened the connection and which service it is.

export const IP_PROTOCOL = { ICMP: 1, TCP: 6, UDP: 17, GRE: 47, ESP: 50, ICMPV6: 58, SCTP: 132 } as const;

/** TCP flag bits as NetFlow/IPFIX report them (cumulative OR over the packets of the flow). */
export const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

/** Which side of a flow an endpoint is on. */
export type FlowSide = 'src' | 'dst';

/** Which role an endpoint plays in a connection: it opened it (client) or accepted it (server). */
export enum ServiceRole {
  CLIENT = 0,
  SERVER = 1,
}

/**
 * Ports whose presence on one side of a flow marks that side as the server, with the names an engineer reads in a
 * label. Both TCP and UDP use of a port counts; the protocol is kept in the service key.
 */
export const WELL_KNOWN_SERVICES: Readonly<Record<number, string>> = {
  20: 'FTP data', 21: 'FTP', 22: 'SSH', 23: 'Telnet', 25: 'SMTP', 53: 'DNS', 67: 'DHCP', 68: 'DHCP client',
  69: 'TFTP', 80: 'HTTP', 88: 'Kerberos', 110: 'POP3', 111: 'RPC portmapper', 123: 'NTP', 135: 'MS RPC',
  137: 'NetBIOS name', 138: 'NetBIOS datagram', 139: 'NetBIOS session', 143: 'IMAP', 161: 'SNMP', 162: 'SNMP trap',
  179: 'BGP', 389: 'LDAP', 443: 'HTTPS', 445: 'SMB', 464: 'Kerberos password', 465: 'SMTPS', 500: 'IKE',
  502: 'Modbus', 514: 'Syslog', 515: 'LPD printing', 554: 'RTSP video', 587: 'SMTP submission', 631: 'IPP printing',
  636: 'LDAPS', 853: 'DNS over TLS', 873: 'rsync', 993: 'IMAPS', 995: 'POP3S', 1433: 'SQL Server', 1521: 'Oracle',
  1812: 'RADIUS', 1813: 'RADIUS accounting', 1883: 'MQTT', 2049: 'NFS', 2375: 'Docker API', 2376: 'Docker API TLS',
  3268: 'LDAP global catalog', 3269: 'LDAP global catalog TLS', 3306: 'MySQL', 3389: 'RDP', 3478: 'STUN/TURN',
  4500: 'IPsec NAT-T', 4840: 'OPC UA', 5060: 'SIP', 5061: 'SIP TLS', 5222: 'XMPP', 5353: 'mDNS', 5432: 'PostgreSQL',
  5671: 'AMQPS', 5672: 'AMQP', 5683: 'CoAP', 5900: 'VNC', 5985: 'WinRM', 5986: 'WinRM TLS', 6379: 'Redis',
  6443: 'Kubernetes API', 8000: 'HTTP alt', 8080: 'HTTP proxy', 8443: 'HTTPS alt', 8554: 'RTSP alt', 8883: 'MQTT TLS',
  9042: 'Cassandra', 9092: 'Kafka', 9100: 'JetDirect printing', 9200: 'Elasticsearch', 9418: 'Git',
  11211: 'Memcached', 27017: 'MongoDB', 47808: 'BACnet',
};

/** The ephemeral range Linux uses by default starts at 32768; Windows and IANA start at 49152. */
export const EPHEMERAL_PORT_START = 32768;

/** How strongly a port number suggests the server side: known service 3, system port 2, registered 1, ephemeral 0. */
export function serverPortScore(port: number): number {
  if (WELL_KNOWN_SERVICES[port] !== undefined) return 3;
  if (port < 1024) return port === 0 ? 0 : 2;
  if (port < EPHEMERAL_PORT_START) return 1;
  return 0;
}

export interface FlowPorts {
  protocol: number;
  srcPort: number;
  dstPort: number;
  /** Cumulative TCP flags; 0 when the exporter does not send them. */
  tcpFlags: number;
}

/** True for protocols whose port fields are real ports. */
export function hasPorts(protocol: number): boolean {
  return protocol === IP_PROTOCOL.TCP || protocol === IP_PROTOCOL.UDP || protocol === IP_PROTOCOL.SCTP;
}

/**
 * Which side opened the connection.
 * - TCP with SYN but no ACK: the record is the opening (or a failed attempt), so its source is the client. Exporters
 *   report flags OR-ed over the flow, so an answered connection shows SYN+ACK in both directions and falls to ports.
 * - ICMP: echo request (type 8/128) comes from the initiator, echo reply (type 0/129) goes to it; exporters put
 *   type * 256 + code in the destination port.
 * - Otherwise ports: the side whose port looks more like a service (known service > system < 1024 > registered >
 *   ephemeral) is the server; on a tie the lower port is; equal ports (NTP 123 <-> 123) count the source as client.
 */
export function initiatorSide(flow: FlowPorts): FlowSide {
  if (flow.protocol === IP_PROTOCOL.TCP && flow.tcpFlags !== 0) {
    if ((flow.tcpFlags & TCP_FLAG.SYN) !== 0 && (flow.tcpFlags & TCP_FLAG.ACK) === 0) return 'src';
  }
  if (flow.protocol === IP_PROTOCOL.ICMP || flow.protocol === IP_PROTOCOL.ICMPV6) {
    const type = flow.dstPort >>> 8;
    if (type === 0 || type === 129) return 'dst';
    return 'src';
  }
  if (!hasPorts(flow.protocol)) return 'src';
  const srcScore = serverPortScore(flow.srcPort);
  const dstScore = serverPortScore(flow.dstPort);
  if (srcScore !== dstScore) return srcScore > dstScore ? 'dst' : 'src';
  return flow.srcPort < flow.dstPort ? 'dst' : 'src';
}

/** The service port of a flow: the port on the server side (0 for protocols without ports). */
export function servicePortOf(flow: FlowPorts, initiator: FlowSide): number {
  if (!hasPorts(flow.protocol)) return 0;
  return initiator === 'src' ? flow.dstPort : flow.srcPort;
}

/** 25-bit service key: role << 24 | protocol << 16 | port. */
export function serviceKey(role: ServiceRole, protocol: number, port: number): number {
  return ((role << 24) | ((protocol & 0xff) << 16) | (port & 0xffff)) >>> 0;
}

export interface ServiceKeyParts {
  role: ServiceRole;
  protocol: number;
  port: number;
}

export function parseServiceKey(key: number): ServiceKeyParts {
  return { role: (key >>> 24) & 1, protocol: (key >>> 16) & 0xff, port: key & 0xffff };
}

export function protocolName(protocol: number): string {
  switch (protocol) {
    case IP_PROTOCOL.TCP:
      return 'tcp';
    case IP_PROTOCOL.UDP:
      return 'udp';
    case IP_PROTOCOL.ICMP:
      return 'icmp';
    case IP_PROTOCOL.ICMPV6:
      return 'icmpv6';
    case IP_PROTOCOL.SCTP:
      return 'sctp';
    case IP_PROTOCOL.GRE:
      return 'gre';
    case IP_PROTOCOL.ESP:
      return 'esp';
    default:
      return String(protocol);
  }
}

/** "tcp/443", "udp/53", "icmp". */
export function serviceName(protocol: number, port: number): string {
  return hasPorts(protocol) ? `${protocolName(protocol)}/${port}` : protocolName(protocol);
}
