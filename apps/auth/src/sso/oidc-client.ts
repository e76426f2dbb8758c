import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '@clarion/contracts';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { verifyIdToken, type IdTokenClaims } from './id-token';

/** What we use of an OpenID Provider's discovery document (OpenID Connect Discovery 1.0, section 3). */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  token_endpoint_auth_methods_supported?: string[];
  code_challenge_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface TokenResponse {
  idToken: string;
  accessToken: string | null;
}

/** Calls to the IdP wait this long at most: a sign-in must not hang on a slow IdP. */
const HTTP_TIMEOUT_MS = 5000;
/** Discovery documents change rarely; an hour keeps key and endpoint changes visible the same day. */
const DISCOVERY_TTL_MS = 3600_000;
/** Bounds what we read from an IdP answer. */
const MAX_RESPONSE_BYTES = 256 * 1024;

/** 256 bits of randomness, base64url: 43 characters (state, nonce and the PKCE verifier of RFC 7636 section 4.1). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** PKCE S256 (RFC 7636 section 4.2). */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * Credentials and codes travel only over TLS; plain http is accepted for loopback hosts alone (an IdP on the same
 * machine during development and tests).
 */
export function isSecureUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.hash) return false;
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
}

/**
 * The relying-party side of OpenID Connect, authorization code flow with PKCE: discovery, the authorization URL,
 * the code exchange with the client secret, ID token validation against the issuer's JWKS, and userinfo.
 * IdP answers that are wrong are UNAUTHENTICATED; an IdP that cannot be reached is DEPENDENCY_UNAVAILABLE.
 */
@Injectable()
export class OidcClient {
  private readonly discovered = new Map<string, { metadata: ProviderMetadata; fetchedAt: number }>();
  private readonly keySets = new Map<string, JWTVerifyGetKey>();

  async discover(issuer: string): Promise<ProviderMetadata> {
    const cached = this.discovered.get(issuer);
    if (cached && Date.now() - cached.fetchedAt < DISCOVERY_TTL_MS) return cached.metadata;
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const document = await this.fetchJson(url, { headers: { accept: 'application/json' } }, 'discovery');
    const metadata = document as Partial<ProviderMetadata>;
    // Discovery section 4.3: the issuer in the document must be exactly the one we asked for (mix-up defence).
    if (metadata.issuer !== issuer) {
      throw new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's discovery document names issuer ${String(metadata.issuer)}, not ${issuer}`);
    }
    for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      if (typeof metadata[field] !== 'string' || !isSecureUrl(metadata[field])) {
        throw new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's ${field} is missing or not an https URL`);
      }
    }
    if (metadata.userinfo_endpoint !== undefined && !isSecureUrl(metadata.userinfo_endpoint)) {
      throw new DomainException(ErrorCode.DependencyUnavailable, "the identity provider's userinfo_endpoint is not an https URL");
    }
    const methods = metadata.code_challenge_methods_supported;
    if (Array.isArray(methods) && !methods.includes('S256')) {
      throw new DomainException(ErrorCode.DependencyUnavailable, 'the identity provider does not support PKCE with S256');
    }
    this.discovered.set(issuer, { metadata: metadata as ProviderMetadata, fetchedAt: Date.now() });
    return metadata as ProviderMetadata;
  }

  authorizationUrl(
    metadata: ProviderMetadata,
    request: { clientId: string; redirectUri: string; scopes: string[]; state: string; nonce: string; codeVerifier: string },
  ): string {
    const url = new URL(metadata.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', request.clientId);
    url.searchParams.set('redirect_uri', request.redirectUri);
    url.searchParams.set('scope', request.scopes.join(' '));
    url.searchParams.set('state', request.state);
    url.searchParams.set('nonce', request.nonce);
    url.searchParams.set('code_challenge', codeChallengeS256(request.codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return url.toString();
  }

  /** The token request of OAuth 2.0 (RFC 6749 section 4.1.3) with the PKCE verifier, authenticated with the secret. */
  async exchangeCode(
    metadata: ProviderMetadata,
    client: ClientCredentials,
    grant: { code: string; redirectUri: string; codeVerifier: string },
  ): Promise<TokenResponse> {
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: grant.code, redirect_uri: grant.redirectUri, code_verifier: grant.codeVerifier });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const supported = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    if (supported.includes('client_secret_basic')) {
      // RFC 6749 section 2.3.1: both parts are form-encoded before they are joined and base64-encoded.
      const credentials = `${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`;
      headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    } else if (supported.includes('client_secret_post')) {
      body.set('client_id', client.clientId);
      body.set('client_secret', client.clientSecret);
    } else {
      throw new DomainException(ErrorCode.DependencyUnavailable, 'the identity provider supports neither client_secret_basic nor client_secret_post');
    }
    const answer = (await this.fetchJson(metadata.token_endpoint, { method: 'POST', headers, body: body.toString() }, 'token')) as Record<string, unknown>;
    if (typeof answer['id_token'] !== 'string') {
      throw new DomainException(ErrorCode.Unauthenticated, 'the identity provider returned no ID token (is the openid scope granted?)');
    }
    return { idToken: answer['id_token'], accessToken: typeof answer['access_token'] === 'string' ? answer['access_token'] : null };
  }

  verifyIdToken(metadata: ProviderMetadata, idToken: string, expected: { clientId: string; nonce: string; accessToken?: string }): Promise<IdTokenClaims> {
    let keys = this.keySets.get(metadata.jwks_uri);
    if (!keys) {
      // jose refetches the key set when a token names a kid it does not know (the IdP rotated its keys).
      keys = createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: HTTP_TIMEOUT_MS });
      this.keySets.set(metadata.jwks_uri, keys);
    }
    return verifyIdToken(idToken, keys, { issuer: metadata.issuer, ...expected });
  }

  /** Userinfo (OpenID Connect Core section 5.3), as JSON; its `sub` must be the ID token's (section 5.3.2). */
  async userinfo(metadata: ProviderMetadata, accessToken: string, subject: string): Promise<Record<string, unknown>> {
    if (!metadata.userinfo_endpoint) return {};
    const claims = (await this.fetchJson(
      metadata.userinfo_endpoint,
      { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } },
      'userinfo',
    )) as Record<string, unknown>;
    if (claims['sub'] !== subject) throw new DomainException(ErrorCode.Unauthenticated, 'the userinfo subject is not the ID token subject');
    return claims;
  }

  private async fetchJson(url: string, init: RequestInit, what: 'discovery' | 'token' | 'userinfo'): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    } catch (err) {
      throw new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's ${what} endpoint is not reachable (${(err as Error).name})`);
    }
    const text = await res.text();
    if (text.length > MAX_RESPONSE_BYTES) throw new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's ${what} answer is too large`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const oauthError = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['error'] : undefined;
      const code = res.status >= 500 || what === 'discovery' ? ErrorCode.DependencyUnavailable : ErrorCode.Unauthenticated;
      throw new DomainException(code, `the identity provider refused the ${what} request (${res.status}${typeof oauthError === 'string' ? ` ${oauthError.slice(0, 100)}` : ''})`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new DomainException(ErrorCode.DependencyUnavailable, `the identity provider's ${what} answer is not a JSON object`);
    }
    return body;
  }
}

/** application/x-www-form-urlencoded encoding of one value. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
