import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '@clarion/contracts';
import { isIP } from 'node:net';
import * as oidc from 'openid-client';
import { AuthEnv } from '../auth.env';
import { HTTP_TIMEOUT_S, IdpEgress } from './idp-egress';

/**
 * The relying-party side of OpenID Connect, authorization code flow with PKCE, on `openid-client`: discovery, the
 * authorization URL, the code exchange with the client secret, ID token validation (signature against the issuer's
 * JWKS, iss, aud, azp, exp, iat, nonce), userinfo, and the checks of the authorization response (state, RFC 9207 iss,
 * error). `openid-client` is ES-module-only; the CommonJS build loads it with Node's require(esm) (Node >= 20.19).
 *
 * What is ours: every request to the IdP goes through `IdpEgress` (a timeout, a cap on the answer's size, and in
 * production no loopback, private, link-local or cluster address), the endpoints must be https (http only on a
 * loopback host, and never in production), a failed discovery is remembered for OIDC_DISCOVERY_FAILURE_TTL_S (a flood
 * of sign-ins does not become a flood of requests to the IdP, or to whatever host an issuer names), and what the
 * library or the IdP says wrong becomes a DomainException of our own wording: UNAUTHENTICATED for a wrong answer about
 * this sign-in, DEPENDENCY_UNAVAILABLE for an IdP that cannot be reached or used. The IdP's own texts
 * (`error_description`) are never passed on.
 */
@Injectable()
export class OidcClient {
  private readonly discovered = new Map<string, { metadata: oidc.ServerMetadata; fetchedAt: number }>();
  /** Each issuer's key set as last fetched, shared by the per-sign-in configurations (the library refetches on an unknown kid). */
  private readonly keySets = new Map<string, oidc.ExportedJWKSCache>();
  /** Issuers whose discovery failed lately, with that failure, until it may be tried again. */
  private readonly failed = new Map<string, { error: DomainException; until: number }>();
  /** Discoveries under way: sign-ins starting together wait for the same one. */
  private readonly discovering = new Map<string, Promise<oidc.ServerMetadata>>();
  private readonly production: boolean;
  private readonly failureTtlMs: number;

  constructor(
    env: AuthEnv,
    private readonly egress: IdpEgress,
  ) {
    this.production = env.CLARION_ENV === 'production';
    this.failureTtlMs = env.OIDC_DISCOVERY_FAILURE_TTL_S * 1000;
  }

  /** The provider as its discovery document describes it (cached an hour), bound to one client of ours. */
  async provider(issuer: string, client: ClientCredentials): Promise<oidc.Configuration> {
    const metadata = await this.discover(issuer);
    const clientMetadata: Partial<oidc.ClientMetadata> = { [oidc.clockTolerance]: CLOCK_TOLERANCE_S };
    let auth: oidc.ClientAuth = oidc.None();
    if (client.clientSecret !== undefined) {
      clientMetadata.client_secret = client.clientSecret;
      auth = clientAuthentication(metadata, client.clientSecret);
    }
    const config = new oidc.Configuration(metadata, client.clientId, clientMetadata, auth);
    this.bind(config, issuer);
    // Without this the library trusts an ID token from the token endpoint on TLS alone (Core 3.1.3.7 step 6): check
    // its signature against the issuer's JWKS as well, which also refuses `none` and the HMAC algorithms.
    oidc.enableNonRepudiationChecks(config);
    const keys = this.keySets.get(metadata.issuer);
    if (keys) oidc.setJwksCache(config, keys);
    return config;
  }

  async authorizationUrl(provider: oidc.Configuration, request: { redirectUri: string; scopes: string[]; state: string; nonce: string; codeVerifier: string }): Promise<string> {
    const url = oidc.buildAuthorizationUrl(provider, {
      redirect_uri: request.redirectUri,
      scope: request.scopes.join(' '),
      state: request.state,
      nonce: request.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: 'S256',
    });
    return url.href;
  }

  /**
   * Checks the authorization response the browser brought back (its state, the RFC 9207 `iss`, an `error`), redeems
   * the code with the PKCE verifier, and validates the ID token. Returns its claims and the access token.
   */
  async redeem(
    provider: oidc.Configuration,
    response: { redirectUri: string; state: string; code?: string; iss?: string; error?: string },
    expected: { nonce: string; codeVerifier: string },
  ): Promise<{ claims: IdTokenClaims; accessToken: string }> {
    const callbackUrl = new URL(response.redirectUri);
    for (const name of ['code', 'state', 'iss', 'error'] as const) {
      const value = response[name];
      if (value !== undefined) callbackUrl.searchParams.set(name, value);
    }
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(provider, callbackUrl, {
        expectedState: response.state,
        expectedNonce: expected.nonce,
        pkceCodeVerifier: expected.codeVerifier,
        idTokenExpected: true,
      });
    } catch (err) {
      throw failure(err, 'token');
    } finally {
      this.keepKeys(provider);
    }
    const claims = tokens.claims();
    if (!claims) throw new DomainException(ErrorCode.Unauthenticated, 'the identity provider returned no ID token (is the openid scope granted?)');
    // Core section 2: at most 255 ASCII characters.
    if (claims.sub.length > 255) throw new DomainException(ErrorCode.Unauthenticated, 'the ID token is not valid: sub is too long');
    return { claims: claims as IdTokenClaims, accessToken: tokens.access_token };
  }

  /** Userinfo (OpenID Connect Core section 5.3); its `sub` must be the ID token's (section 5.3.2). Empty without the endpoint. */
  async userinfo(provider: oidc.Configuration, accessToken: string, subject: string): Promise<Record<string, unknown>> {
    if (!provider.serverMetadata().userinfo_endpoint) return {};
    try {
      return await oidc.fetchUserInfo(provider, accessToken, subject);
    } catch (err) {
      throw failure(err, 'userinfo');
    }
  }

  private async discover(issuer: string): Promise<oidc.ServerMetadata> {
    const cached = this.discovered.get(issuer);
    if (cached && Date.now() - cached.fetchedAt < DISCOVERY_TTL_MS) return cached.metadata;
    const failed = this.failed.get(issuer);
    if (failed && Date.now() < failed.until) throw failed.error;
    this.failed.delete(issuer);
    let running = this.discovering.get(issuer);
    if (!running) {
      running = this.fetchMetadata(issuer).finally(() => this.discovering.delete(issuer));
      this.discovering.set(issuer, running);
    }
    try {
      return await running;
    } catch (err) {
      if (err instanceof DomainException && this.failureTtlMs > 0) this.failed.set(issuer, { error: err, until: Date.now() + this.failureTtlMs });
      throw err;
    }
  }

  /** Discovery proper: the document, the library's checks (issuer match) and ours (https, PKCE S256). */
  private async fetchMetadata(issuer: string): Promise<oidc.ServerMetadata> {
    const allowLoopbackHttp = !this.production;
    if (!isSecureUrl(issuer, allowLoopbackHttp)) {
      throw new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's issuer is not an https URL${allowLoopbackHttp ? '' : ' (required in production)'}`);
    }
    let metadata: oidc.ServerMetadata;
    try {
      // The library checks that the document names exactly this issuer (Discovery section 4.3, the mix-up defence).
      const discovered = await oidc.discovery(new URL(issuer), DISCOVERY_CLIENT_ID, undefined, undefined, {
        [oidc.customFetch]: this.egress.fetch,
        timeout: HTTP_TIMEOUT_S,
        execute: insecureHttp(issuer) ? [oidc.allowInsecureRequests] : [],
      });
      metadata = discovered.serverMetadata();
    } catch (err) {
      throw failure(err, 'discovery');
    }
    for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      const value = metadata[field];
      if (typeof value !== 'string' || !isSecureUrl(value, allowLoopbackHttp)) {
        throw new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's ${field} is missing or not an https URL`);
      }
    }
    if (metadata.userinfo_endpoint !== undefined && !isSecureUrl(metadata.userinfo_endpoint, allowLoopbackHttp)) {
      throw new DomainException(ErrorCode.DependencyUnavailable, "the identity provider's userinfo_endpoint is not an https URL");
    }
    const methods = metadata.code_challenge_methods_supported;
    if (Array.isArray(methods) && !methods.includes('S256')) {
      throw new DomainException(ErrorCode.DependencyUnavailable, 'the identity provider does not support PKCE with S256');
    }
    this.discovered.set(issuer, { metadata, fetchedAt: Date.now() });
    return metadata;
  }

  private bind(config: oidc.Configuration, issuer: string): void {
    config[oidc.customFetch] = this.egress.fetch;
    config.timeout = HTTP_TIMEOUT_S;
    if (insecureHttp(issuer)) oidc.allowInsecureRequests(config);
  }

  private keepKeys(config: oidc.Configuration): void {
    const keys = oidc.getJwksCache(config);
    if (keys) this.keySets.set(config.serverMetadata().issuer, keys);
  }
}

export interface ClientCredentials {
  clientId: string;
  /** Needed to redeem a code; not to build the authorization URL. */
  clientSecret?: string;
}

export interface IdTokenClaims extends oidc.IDToken {
  nonce: string;
}

/** The random values of one sign-in, 256 bits each, base64url (43 characters): state, nonce and the PKCE verifier. */
export function signInSecrets(): { state: string; nonce: string; codeVerifier: string } {
  return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
}

/** Discovery documents change rarely; an hour keeps key and endpoint changes visible the same day. */
const DISCOVERY_TTL_MS = 3600_000;
/** Clock skew tolerated between us and the IdP on exp/iat. */
const CLOCK_TOLERANCE_S = 60;
/** Discovery needs a client id to build its result; only the server metadata is kept. */
const DISCOVERY_CLIENT_ID = 'discovery';

/**
 * Credentials and codes travel only over TLS; plain http is accepted for loopback hosts alone (an IdP on the same
 * machine during development and tests), and not even there when `allowLoopbackHttp` is false (production).
 */
export function isSecureUrl(value: string, allowLoopbackHttp = true): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.hash) return false;
  if (url.protocol === 'https:') return true;
  return allowLoopbackHttp && url.protocol === 'http:' && isLoopback(url);
}

function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
}

/** The library refuses http unless told; it is told only for the loopback issuers `isSecureUrl` lets through. */
function insecureHttp(issuer: string): boolean {
  return new URL(issuer).protocol === 'http:';
}

/** client_secret_basic when the IdP offers it (its default when it says nothing), else client_secret_post. */
function clientAuthentication(metadata: oidc.ServerMetadata, secret: string): oidc.ClientAuth {
  const supported = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  if (supported.includes('client_secret_basic')) return oidc.ClientSecretBasic(secret);
  if (supported.includes('client_secret_post')) return oidc.ClientSecretPost(secret);
  throw new DomainException(ErrorCode.DependencyUnavailable, 'the identity provider supports neither client_secret_basic nor client_secret_post');
}

/** An OAuth error code as RFC 6749 registers them (`invalid_grant`); anything else is not repeated. */
function errorCode(value: unknown): string {
  return typeof value === 'string' && /^[a-z0-9_]{1,64}$/.test(value) ? value : 'unrecognised error';
}

/**
 * What went wrong, in our words: a DomainException of ours from IdpEgress, or one built from the library's own
 * (fixed) description. Anything else is a fault of ours (a wrong argument), returned as it is.
 */
function failure(err: unknown, what: 'discovery' | 'token' | 'userinfo'): unknown {
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) {
    // IdpEgress's exceptions come back wrapped by the library.
    if (cause instanceof DomainException) return cause;
  }
  if (err instanceof oidc.AuthorizationResponseError) {
    return new DomainException(ErrorCode.Unauthenticated, `the identity provider refused the sign-in (${errorCode(err.error)})`);
  }
  const unavailable = what === 'discovery' ? ErrorCode.DependencyUnavailable : ErrorCode.Unauthenticated;
  if (err instanceof oidc.ResponseBodyError) {
    const code = err.status >= 500 ? ErrorCode.DependencyUnavailable : unavailable;
    return new DomainException(code, `the identity provider refused the ${what} request (${err.status} ${errorCode(err.error)})`);
  }
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    return new DomainException(unavailable, `the identity provider refused the ${what} request (${err.status})`);
  }
  if (err instanceof oidc.ClientError) {
    if (err.code === 'OAUTH_TIMEOUT' || err.code === 'OAUTH_ABORT') {
      return new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's ${what} endpoint did not answer in time`);
    }
    const status = err.cause instanceof Response ? err.cause.status : 0;
    if (status >= 500) return new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's ${what} endpoint failed (${status})`);
    const detail = err.cause instanceof Error ? err.cause.message : err.message;
    const subject = what === 'token' ? 'answer to this sign-in' : `${what} answer`;
    return new DomainException(unavailable, `the identity provider's ${subject} is not valid: ${detail.slice(0, 200)}`);
  }
  return err;
}
