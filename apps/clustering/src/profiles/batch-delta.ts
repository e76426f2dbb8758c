import {
  DEFAULT_PROFILE_PARAMETERS,
  EndpointProfile,
  endpointKeyOf,
  hasPorts,
  initiatorSide,
  normaliseMac,
  observeFlowOnEndpoints,
  type ProfileParameters,
} from '@clarion/clustering-core';
import type { FlowBatchFlow } from '@clarion/contracts';
import type { EndpointEdgeDelta } from '../data';

/** Where an endpoint was last seen in a batch. */
export interface EndpointSighting {
  /** Latest IP address seen on the endpoint's side of a flow (by flow end time), or null. */
  address: string | null;
  addressSeenMs: number | null;
  mac: string | null;
}

/** What one flow batch adds: a delta profile and a sighting per endpoint, and traffic per edge. */
export interface BatchDelta {
  profiles: Map<string, EndpointProfile>;
  sightings: Map<string, EndpointSighting>;
  edges: EndpointEdgeDelta[];
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

/**
 * Folds the flows of one batch into delta profiles (both directions, see observeFlowOnEndpoints) and edges oriented
 * from the endpoint that opened the connection to the one that accepted it (the rule of PolicyMatrix), keyed by
 * (client, server, protocol, server port, client tag, server tag); tags are the flow's own, -1 when it carries none.
 */
export function buildBatchDelta(flows: readonly FlowBatchFlow[], parameters: ProfileParameters = PROFILE_PARAMETERS): BatchDelta {
  const profiles = new Map<string, EndpointProfile>();
  const sightings = new Map<string, EndpointSighting>();
  const edges = new Map<string, EndpointEdgeDelta>();
  const profileOf = (key: string): EndpointProfile => {
    let profile = profiles.get(key);
    if (!profile) {
      profile = new EndpointProfile(parameters);
      profiles.set(key, profile);
    }
    return profile;
  };
  for (const flow of flows) {
    observeFlowOnEndpoints(flow, profileOf);
    const src = endpointKeyOf(flow, 'src');
    const dst = endpointKeyOf(flow, 'dst');
    const { start, end } = flowTimes(flow);
    if (src) sight(sightings, src, flow.srcAddress, src.startsWith('mac:') ? normaliseMac(flow.srcMac) : null, end);
    if (dst) sight(sightings, dst, flow.dstAddress, dst.startsWith('mac:') ? normaliseMac(flow.dstMac) : null, end);
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
  return { profiles, sightings, edges: [...edges.values()] };
}
