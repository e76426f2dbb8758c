import { isAddressOrNetwork } from '@clarion/config';
import proxyAddr from '@fastify/proxy-addr';
import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import type { IncomingMessage } from 'node:http';

/**
 * Which hops in front of the gateway may tell it the client's address (X-Forwarded-For, -Proto, -Host), in the forms
 * Fastify's `trustProxy` takes:
 * - `false`: none (the peer's address is the client's);
 * - a hop count `n`: the n proxies nearest the gateway (an ingress and a load balancer: 2); entries further left,
 *   which any client can write, are never believed;
 * - proxy addresses or networks (`10.0.0.0/8,fd00::/8`): a hop is believed only when it comes from one of them;
 * - `true`: every entry, including the client-written leftmost one. Development and tests only; production refuses
 *   it, because it lets any client choose its own address (and so its own rate-limit and sign-in-throttle bucket).
 */
export type TrustProxy = boolean | number | string[];

export const MAX_TRUSTED_HOPS = 16;

const TRUE = ['true', 'yes', 'on'];
const FALSE = ['false', 'no', 'off', '0', ''];

/** The raw variable to a TrustProxy, or the raw text itself when it is none of the forms (the validator refuses it). */
export function parseTrustProxy(raw: unknown): unknown {
  if (typeof raw === 'boolean' || typeof raw === 'number' || Array.isArray(raw)) return raw;
  if (typeof raw !== 'string') return raw;
  const text = raw.trim().toLowerCase();
  if (TRUE.includes(text)) return true;
  if (FALSE.includes(text)) return false;
  if (/^\d{1,3}$/.test(text)) return Number(text);
  const parts = raw.split(',').map((part) => part.trim()).filter(Boolean);
  return parts.every(isAddressOrNetwork) ? parts : raw;
}

export function isTrustProxy(value: unknown): value is TrustProxy {
  if (typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 && value <= MAX_TRUSTED_HOPS;
  return Array.isArray(value) && value.length > 0 && value.every((part) => typeof part === 'string' && isAddressOrNetwork(part));
}

export const ToTrustProxy = (): PropertyDecorator => Transform(({ value }) => parseTrustProxy(value));

export const IsTrustProxy = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isTrustProxy',
      validator: {
        validate: (value) => isTrustProxy(value),
        defaultMessage: () => `must be false, a hop count (1-${MAX_TRUSTED_HOPS}), or comma-separated proxy addresses or networks (CIDR)`,
      },
    },
    options,
  );

/** Production rule: trusting every hop lets a client pick its own address. */
export const notEveryHop = (value: unknown): string | undefined =>
  value === true ? "'true' believes every X-Forwarded-For entry, including the client's own; give the hop count or the proxies' networks" : undefined;

/**
 * The client's address of a raw request, as Fastify's `request.ip` gives it under the same setting (the same
 * `@fastify/proxy-addr` rules): for a WebSocket upgrade, which never reaches Fastify's routing, so that its rate limit
 * counts the same client as the requests' does.
 */
export function clientAddressOf(trust: TrustProxy): (request: IncomingMessage) => string {
  if (trust === false) return (request) => request.socket.remoteAddress ?? '';
  const trusted = trust === true ? () => true : typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : proxyAddr.compile(trust);
  return (request) => proxyAddr(request, trusted);
}
