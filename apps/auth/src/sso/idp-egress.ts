import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { DomainException, ErrorCode } from '@clarion/contracts';
import { ServiceMetrics } from '@clarion/observability';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type * as oidc from 'openid-client';
import { Counter } from 'prom-client';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { AuthEnv } from '../auth.env';
import { IdpAddressPolicy, type DeniedAddressClass } from './idp-address-policy';

/** Calls to the IdP wait this long at most (seconds, as openid-client counts): a sign-in must not hang on a slow IdP. */
export const HTTP_TIMEOUT_S = 5;
/** Bounds what we read from an IdP answer (discovery, JWKS, token, userinfo). */
export const MAX_RESPONSE_BYTES = 256 * 1024;
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** Every address a host name has (as `dns.lookup` with `all` gives them). */
export type HostResolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;
/** What sends a request: undici's fetch through our agent; a test puts an IdP in its place. */
export type IdpTransport = (url: string, init: Omit<RequestInit, 'dispatcher'> & { dispatcher: Agent }) => Promise<Response>;
/** Tests only: a resolver and a transport in place of the system's. */
export interface IdpNetwork {
  resolve?: HostResolver;
  transport?: IdpTransport;
}
export const IDP_NETWORK = Symbol('IDP_NETWORK');

/** The IdP's host resolves to (or is) an address it may not be reached at; nothing was sent. */
export class IdpAddressRefusedException extends DomainException {
  constructor(
    readonly host: string,
    readonly why: DeniedAddressClass,
  ) {
    super(ErrorCode.DependencyUnavailable, `the identity provider's host ${host} is not allowed (its address is ${why})`);
  }
}

const systemResolver: HostResolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

const undiciTransport: IdpTransport = (url, init) => undiciFetch(url, init as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;

/**
 * Every request to an identity provider (discovery, JWKS, token, userinfo) leaves through here: a timeout, a cap on
 * the answer's size, and, in production, no connection to a loopback, private, link-local, shared (CGNAT), multicast
 * or reserved address, nor to OIDC_DENIED_NETWORKS. The check sits in the agent's connector: a literal address is
 * judged as it is, a name is resolved by our own lookup (all its addresses; one refused refuses the name) and the
 * socket connects to exactly the addresses judged, so a name that resolves elsewhere a moment later (DNS rebinding)
 * gains nothing: there is no second resolution. Redirects are not followed (openid-client does not ask for them).
 */
@Injectable()
export class IdpEgress implements OnModuleDestroy {
  private readonly policy: IdpAddressPolicy;
  private readonly resolve: HostResolver;
  private readonly transport: IdpTransport;
  private readonly refused: Counter;
  private readonly agent: Agent;

  constructor(env: AuthEnv, metrics: ServiceMetrics, @Optional() @Inject(IDP_NETWORK) network: IdpNetwork | null = null) {
    this.policy = new IdpAddressPolicy({ denyBuiltInClasses: env.CLARION_ENV === 'production', deniedNetworks: env.OIDC_DENIED_NETWORKS });
    this.resolve = network?.resolve ?? systemResolver;
    this.transport = network?.transport ?? undiciTransport;
    const name = 'clarion_auth_idp_requests_refused_total';
    this.refused =
      (metrics.registry.getSingleMetric(name) as Counter | undefined) ??
      new Counter({
        name,
        help: 'Requests to an identity provider refused before connecting, by the class of the address its host is or resolves to.',
        labelNames: ['reason'],
        registers: [metrics.registry],
      });
    const connector = buildConnector({ lookup: this.lookup, timeout: HTTP_TIMEOUT_S * 1000 });
    this.agent = new Agent({
      connect: (options, callback) => {
        const literal = options.hostname.replace(/^\[|\]$/g, '');
        // A literal address is connected to without a lookup: judged here.
        const refusal = isIP(literal) ? this.refusal(literal, [literal]) : null;
        if (refusal) return callback(refusal, null);
        return connector(options, callback);
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }

  /**
   * openid-client's fetch: its own timeout signal (and ours when it gives none), no redirects, and the answer read
   * whole but never past MAX_RESPONSE_BYTES, so a hostile or broken IdP cannot make us buffer without end.
   */
  readonly fetch: oidc.CustomFetch = async (url, options) => {
    const signal = options.signal ?? AbortSignal.timeout(HTTP_TIMEOUT_S * 1000);
    const what = new URL(url).host;
    let res: Response;
    try {
      res = await this.transport(url, { ...options, body: options.body as RequestInit['body'], signal, redirect: 'manual', dispatcher: this.agent });
    } catch (err) {
      for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) {
        if (cause instanceof DomainException) throw cause;
      }
      throw new DomainException(ErrorCode.DependencyUnavailable, `the identity provider is not reachable at ${what} (${(err as Error).name})`);
    }
    const declared = Number(res.headers.get('content-length'));
    if (declared > MAX_RESPONSE_BYTES) {
      await res.body?.cancel();
      throw new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's answer from ${what} is too large`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      const reader = res.body.getReader();
      try {
        for (let part = await reader.read(); !part.done; part = await reader.read()) {
          size += part.value.byteLength;
          if (size > MAX_RESPONSE_BYTES) {
            await reader.cancel();
            throw new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's answer from ${what} is too large`);
          }
          chunks.push(part.value);
        }
      } catch (err) {
        if (err instanceof DomainException) throw err;
        throw new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's answer from ${what} did not arrive (${(err as Error).name})`);
      }
    }
    const body = NULL_BODY_STATUSES.has(res.status) ? null : Buffer.concat(chunks);
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };

  /**
   * The socket's lookup (Node's `LookupFunction`): our resolver's answer, judged whole, then handed to the socket as
   * it was judged (one address, or all of them when the socket races several: Happy Eyeballs).
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const host = hostname.replace(/^\[|\]$/g, '');
    const resolved = isIP(host) ? Promise.resolve([{ address: host, family: isIP(host) }]) : this.resolve(host);
    resolved.then(
      (addresses) => {
        const refusal = this.refusal(host, addresses.map((a) => a.address));
        if (refusal) return callback(refusal, '');
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable: LookupAddress[] = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        const first = usable[0];
        if (!first) return callback(Object.assign(new Error(`${host} has no address of the family asked for`), { code: 'ENOTFOUND' }), '');
        return options.all ? callback(null, usable) : callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };

  private refusal(host: string, addresses: string[]): IdpAddressRefusedException | null {
    const refused = this.policy.firstRefused(addresses);
    if (!refused) return null;
    this.refused.inc({ reason: refused.why });
    return new IdpAddressRefusedException(host, refused.why);
  }
}
