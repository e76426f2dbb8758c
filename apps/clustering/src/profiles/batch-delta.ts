import { DEFAULT_PROFILE_PARAMETERS, EndpointProfile, hasPorts, initiatorSide, normaliseMac, type ProfileParameters } from '@clarion/clustering-core';
import { AddressClassifier, type FlowBatchFlow } from '@clarion/contracts';
import type { EndpointEdgeDelta } from '../data';

/** Where an endpoint was last seen in a batch. */
export interface EndpointSighting {
  /** Latest IP address seen on the endpoint's side of a flow (by flow end time), or null. */
  address: string | null;
  addressSeenMs: number | null;
  mac: string | null;
}

/** Why a MAC is a router interface rather than a host's identity. */
export type RouterMacReason = 'external' | 'addresses';

/** A MAC this batch showed to be a router interface. */
export interface RouterMacSighting {
  reason: RouterMacReason;
  /** Distinct internal addresses seen behind the MAC in the batch. */
  internalAddresses: number;
  lastSeenMs: number | null;
}

/**
 * Which sides of a flow are the tenant's hosts: only an internal address makes an endpoint, and a MAC is an
 * endpoint's identity only while it behaves as one host's.
 */
export interface EndpointScope {
  /** Whether the address is in the tenant's internal space (AddressClassifier). */
  isInternal(address: string): boolean;
  /** MACs already known as router interfaces. */
  readonly routerMacs: ReadonlySet<string>;
  /** A MAC seen with more distinct internal addresses than this in one batch is a router interface. */
  readonly macAddressLimit: number;
}

/** Default of EndpointScope.macAddressLimit: a host holds one or two addresses per family, a router fronts a subnet. */
export const DEFAULT_MAC_ADDRESS_LIMIT = 4;

/** The scope of a tenant that has defined no inventory: RFC 1918, 100.64.0.0/10 and fc00::/7 are internal. */
export function defaultEndpointScope(): EndpointScope {
  return endpointScopeOf(new AddressClassifier({ addressSpaces: [], subnets: [] }), new Set(), DEFAULT_MAC_ADDRESS_LIMIT);
}

/** An EndpointScope over a tenant's classifier; an address that does not parse is not internal. */
export function endpointScopeOf(classifier: AddressClassifier, routerMacs: ReadonlySet<string>, macAddressLimit: number): EndpointScope {
  return { isInternal: (address) => classifier.classify(address)?.scope === 'internal', routerMacs, macAddressLimit };
}

/** What one flow batch adds: a delta profile and a sighting per endpoint, and traffic per edge. */
export interface BatchDelta {
  profiles: Map<string, EndpointProfile>;
  sightings: Map<string, EndpointSighting>;
  edges: EndpointEdgeDelta[];
  /** Flow sides left out because their address is external (they are peers, never endpoints). */
  externalSides: number;
  /** MACs not known before that the batch showed to be router interfaces. */
  routerMacs: Map<string, RouterMacSighting>;
  /**
   * Every router MAC, known or new, on an internal side of the batch: an endpoint another instance stored under one
   * before it learnt the MAC is a router's is removed when the MAC is next seen.
   */
  routerMacsSeen: Set<string>;
}

/**
 * The profile parameters of every stored profile. Merging needs equal parameters, so they are fixed here rather than
 * configurable: changing them means re-encoding the stored profiles.
 */
export const PROFILE_PARAMETERS: Readonly<ProfileParameters> = DEFAULT_PROFILE_PARAMETERS;

function positiveInteger(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

function flowTimes(flow: FlowBatchFlow): { start: number; end: number } {
  const start = flow.startMs > 0 ? flow.startMs : flow.endMs;
  const end = flow.endMs > 0 ? flow.endMs : flow.startMs;
  return { start, end };
}

function sight(sightings: Map<string, EndpointSighting>, key: string, address: string | null, mac: string | null, atMs: number): void {
  let s = sightings.get(key);
  if (!s) {
    s = { address: null, addressSeenMs: null, mac: null };
    sightings.set(key, s);
  }
  if (mac !== null) s.mac = mac;
  if (address !== null && (s.addressSeenMs === null || !(atMs < s.addressSeenMs))) {
    s.address = address.toLowerCase();
    s.addressSeenMs = atMs > 0 ? atMs : s.addressSeenMs;
  }
}

/** One side of a flow: the endpoint it is (null when external or unknown) and the key its peer records it under. */
interface Side {
  endpoint: string | null;
  peer: string;
  mac: string | null;
}

/** fe80::/10 and 169.254.0.0/16: on the link, never routed, so no sign that a MAC fronts other hosts. */
function isLinkLocal(address: string): boolean {
  const a = address.toLowerCase();
  return a.startsWith('169.254.') || (a.indexOf(':') >= 0 && /^fe[89ab][0-9a-f]?:/.test(a));
}

/**
 * MACs that front more than one host: seen on a side whose address is external (the routed hop to the Internet or a
 * partner; a link-local address is no such sign), or with more than `macAddressLimit` distinct internal addresses. Known router MACs are not reported again.
 */
function detectRouterMacs(flows: readonly FlowBatchFlow[], scope: EndpointScope, internal: (address: string) => boolean): Map<string, RouterMacSighting> {
  const addresses = new Map<string, Set<string>>();
  const external = new Map<string, number | null>();
  const lastSeen = new Map<string, number>();
  const note = (macText: string | null | undefined, address: string | null, atMs: number): void => {
    const mac = normaliseMac(macText);
    if (mac === null || address === null || scope.routerMacs.has(mac)) return;
    if (atMs > (lastSeen.get(mac) ?? 0)) lastSeen.set(mac, atMs);
    if (!internal(address)) {
      if (!isLinkLocal(address)) external.set(mac, null);
    } else {
      let set = addresses.get(mac);
      if (!set) addresses.set(mac, (set = new Set()));
      set.add(address.toLowerCase());
    }
  };
  for (const flow of flows) {
    const { end } = flowTimes(flow);
    note(flow.srcMac, flow.srcAddress, end);
    note(flow.dstMac, flow.dstAddress, end);
  }
  const routers = new Map<string, RouterMacSighting>();
  const seen = (mac: string): number | null => lastSeen.get(mac) ?? null;
  for (const mac of external.keys()) routers.set(mac, { reason: 'external', internalAddresses: addresses.get(mac)?.size ?? 0, lastSeenMs: seen(mac) });
  for (const [mac, set] of addresses) {
    if (!routers.has(mac) && set.size > scope.macAddressLimit) routers.set(mac, { reason: 'addresses', internalAddresses: set.size, lastSeenMs: seen(mac) });
  }
  return routers;
}

/**
 * Folds the flows of one batch into delta profiles (each endpoint side sees the flow, the source outbound, the
 * destination inbound, with the other side as its peer) and edges oriented from the endpoint that opened the
 * connection to the one that accepted it (the rule of PolicyMatrix), keyed by (client, server, protocol, server port,
 * client tag, server tag); tags are the flow's own, -1 when it carries none.
 *
 * Only the tenant's hosts are endpoints: a side whose address is external makes no profile, sighting or edge, and is
 * the internal side's peer under `ip:<address>`. A side is keyed by its MAC when the flow carries a usable one that is
 * not a router interface (known, or shown to be one by this batch), else by its address.
 */
export function buildBatchDelta(flows: readonly FlowBatchFlow[], scope: EndpointScope = defaultEndpointScope(), parameters: ProfileParameters = PROFILE_PARAMETERS): BatchDelta {
  const profiles = new Map<string, EndpointProfile>();
  const sightings = new Map<string, EndpointSighting>();
  const edges = new Map<string, EndpointEdgeDelta>();
  const verdicts = new Map<string, boolean>();
  const internal = (address: string): boolean => {
    let verdict = verdicts.get(address);
    if (verdict === undefined) verdicts.set(address, (verdict = scope.isInternal(address)));
    return verdict;
  };
  const routerMacs = detectRouterMacs(flows, scope, internal);
  const isRouter = (mac: string): boolean => scope.routerMacs.has(mac) || routerMacs.has(mac);
  let externalSides = 0;
  const routerMacsSeen = new Set<string>();
  const sideOf = (address: string | null, macText: string | null | undefined): Side | null => {
    if (address !== null && !internal(address)) {
      externalSides++;
      return { endpoint: null, peer: `ip:${address.toLowerCase()}`, mac: null };
    }
    const mac = normaliseMac(macText);
    if (mac !== null) {
      if (!isRouter(mac)) return { endpoint: `mac:${mac}`, peer: `mac:${mac}`, mac };
      routerMacsSeen.add(mac);
    }
    if (address === null) return null;
    const key = `ip:${address.toLowerCase()}`;
    return { endpoint: key, peer: key, mac: null };
  };
  const profileOf = (key: string): EndpointProfile => {
    let profile = profiles.get(key);
    if (!profile) {
      profile = new EndpointProfile(parameters);
      profiles.set(key, profile);
    }
    return profile;
  };
  for (const flow of flows) {
    const srcSide = sideOf(flow.srcAddress, flow.srcMac);
    const dstSide = sideOf(flow.dstAddress, flow.dstMac);
    const src = srcSide?.endpoint ?? null;
    const dst = dstSide?.endpoint ?? null;
    const { start, end } = flowTimes(flow);
    if (src) {
      profileOf(src).observe(flow, 'src', dstSide?.peer ?? 'unknown');
      sight(sightings, src, flow.srcAddress, srcSide?.mac ?? null, end);
    }
    if (dst && dst !== src) profileOf(dst).observe(flow, 'dst', srcSide?.peer ?? 'unknown');
    if (dst) sight(sightings, dst, flow.dstAddress, dstSide?.mac ?? null, end);
    if (!src || !dst) continue;
    const forward = initiatorSide(flow) === 'src';
    const protocol = flow.protocol & 0xff;
    const port = hasPorts(protocol) ? (forward ? flow.dstPort : flow.srcPort) : 0;
    const clientKey = forward ? src : dst;
    const serverKey = forward ? dst : src;
    const clientTag = (forward ? flow.srcSgt : flow.dstSgt) ?? -1;
    const serverTag = (forward ? flow.dstSgt : flow.srcSgt) ?? -1;
    const id = `${clientKey}|${serverKey}|${protocol}|${port}|${clientTag}|${serverTag}`;
    let edge = edges.get(id);
    if (!edge) {
      edge = { clientKey, serverKey, protocol, port, clientTag, serverTag, flows: 0, bytes: 0, packets: 0, firstSeenMs: null, lastSeenMs: null };
      edges.set(id, edge);
    }
    edge.flows++;
    edge.bytes += positiveInteger(flow.bytes);
    edge.packets += positiveInteger(flow.packets);
    if (start > 0 && (edge.firstSeenMs === null || start < edge.firstSeenMs)) edge.firstSeenMs = start;
    if (end > 0 && (edge.lastSeenMs === null || end > edge.lastSeenMs)) edge.lastSeenMs = end;
  }
  for (const mac of routerMacs.keys()) routerMacsSeen.add(mac);
  return { profiles, sightings, edges: [...edges.values()], externalSides, routerMacs, routerMacsSeen };
}
