import { EndpointProfile, type FlowObservation } from './endpoint-profile';
import { type FlowSide } from './service-ports';

/** The addressing fields of a flow record (structurally a subset of @clarion/netflow's FlowRecord). */
export interface FlowAddressing {
  srcAddress: string | null;
  dstAddress: string | null;
  srcMac?: string | null;
  dstMac?: string | null;
}

const MAC_PATTERN = /^[0-9a-f]{2}([:-]?[0-9a-f]{2}){5}$/i;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** True for "aa:bb:cc:dd:ee:ff" in lower case. */
function isCanonicalMac(mac: string): boolean {
  if (mac.length !== 17) return false;
  for (let i = 0; i < 17; i++) {
    const code = mac.charCodeAt(i);
    if (i % 3 === 2 ? code !== 58 : hexValue(code) < 0) return false;
  }
  return true;
}

/** Lower-case colon form of a usable unicast MAC, or null (absent, all zeros, broadcast or multicast). */
export function normaliseMac(mac: string | null | undefined): string | null {
  if (!mac) return null;
  // Decoded records already carry the canonical form; this check runs twice per flow, so it avoids the regex.
  if (isCanonicalMac(mac)) return mac === '00:00:00:00:00:00' || (hexValue(mac.charCodeAt(1)) & 1) === 1 ? null : mac;
  if (!MAC_PATTERN.test(mac)) return null;
  const hex = mac.replace(/[:-]/g, '').toLowerCase();
  if (hex === '000000000000') return null;
  // The group bit (least significant bit of the first octet) marks broadcast and multicast: not an endpoint.
  if ((parseInt(hex.slice(0, 2), 16) & 1) === 1) return null;
  return [0, 2, 4, 6, 8, 10].map((i) => hex.slice(i, i + 2)).join(':');
}

/**
 * The endpoint on one side of a flow: its MAC address when the flow carries a usable one, otherwise its IP address
 * (null when neither is known). Keys are prefixed so a MAC and an IP can never collide.
 */
export function endpointKeyOf(flow: FlowAddressing, side: FlowSide): string | null {
  const mac = normaliseMac(side === 'src' ? flow.srcMac : flow.dstMac);
  if (mac) return `mac:${mac}`;
  const address = side === 'src' ? flow.srcAddress : flow.dstAddress;
  return address ? `ip:${address.toLowerCase()}` : null;
}

/**
 * Applies one flow to the profiles of both its endpoints (the source sees it outbound, the destination inbound).
 * `profileOf` returns the (possibly new) profile of a key. Returns the keys whose profile changed.
 */
export function observeFlowOnEndpoints(
  flow: FlowObservation & FlowAddressing,
  profileOf: (endpointKey: string) => EndpointProfile,
): string[] {
  const src = endpointKeyOf(flow, 'src');
  const dst = endpointKeyOf(flow, 'dst');
  const changed: string[] = [];
  if (src) {
    profileOf(src).observe(flow, 'src', dst ?? 'unknown');
    changed.push(src);
  }
  if (dst && dst !== src) {
    profileOf(dst).observe(flow, 'dst', src ?? 'unknown');
    changed.push(dst);
  }
  return changed;
}
