import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The gateway's security header policy (CSP, HSTS, frame-ancestors none, nosniff, no-referrer and helmet's defaults). */
export const SECURITY_HEADER_POLICY: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
    },
  },
  hsts: { maxAge: 31536000, includeSubDomains: true },
  referrerPolicy: { policy: 'no-referrer' },
  frameguard: { action: 'deny' },
};

/**
 * The headers helmet sets for `policy`, computed once. The policy has no per-request part (no CSP nonces), so every
 * response can carry the same headers; building them per request (what @fastify/helmet does) re-parses the CSP
 * directives for every call.
 */
export function securityHeaders(policy: HelmetOptions = SECURITY_HEADER_POLICY): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  } as unknown as ServerResponse;
  let failure: unknown;
  helmet(policy)({} as IncomingMessage, response, (err?: unknown) => {
    failure = err;
  });
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  return headers;
}
