import { DomainException, ErrorCode } from '@clarion/contracts';
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Signature algorithms accepted on ID tokens: asymmetric only. `none` and the HMAC algorithms (keyed with the client
 * secret, which a leaked secret would let anyone forge) are refused whatever the token header says.
 */
export const ID_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Clock skew tolerated between us and the IdP on exp/iat/nbf. */
const CLOCK_TOLERANCE_S = 60;

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  nonce: string;
  /** The access token issued with it: checked against `at_hash` when the IdP includes one. */
  accessToken?: string;
}

export interface IdTokenClaims extends JWTPayload {
  sub: string;
  nonce: string;
}

/**
 * Validates an ID token as OpenID Connect Core 1.0 section 3.1.3.7 requires: signature by the issuer's key with an
 * allowed algorithm, `iss`, `aud` containing our client id (and `azp` when there are several audiences), `exp`,
 * `iat`, the `nonce` we sent, and `at_hash` when present (section 3.1.3.8). Any failure is UNAUTHENTICATED.
 */
export async function verifyIdToken(idToken: string, keys: JWTVerifyGetKey, expected: IdTokenExpectations): Promise<IdTokenClaims> {
  let payload: JWTPayload;
  let alg: string;
  try {
    const verified = await jwtVerify(idToken, keys, {
      issuer: expected.issuer,
      audience: expected.clientId,
      algorithms: ID_TOKEN_ALGORITHMS,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['sub', 'iat', 'exp'],
    });
    payload = verified.payload;
    alg = verified.protectedHeader.alg;
  } catch (err) {
    throw new DomainException(ErrorCode.Unauthenticated, `the ID token is not valid: ${describe(err)}`);
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audiences.length > 1 && payload['azp'] !== expected.clientId) {
    throw new DomainException(ErrorCode.Unauthenticated, 'the ID token is not valid: azp is not this client');
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
    throw new DomainException(ErrorCode.Unauthenticated, 'the ID token is not valid: sub is missing or too long');
  }
  if (typeof payload['nonce'] !== 'string' || !sameString(payload['nonce'], expected.nonce)) {
    throw new DomainException(ErrorCode.Unauthenticated, 'the ID token is not valid: the nonce does not match this sign-in');
  }
  const atHash = payload['at_hash'];
  if (atHash !== undefined && expected.accessToken !== undefined) {
    if (typeof atHash !== 'string' || !sameString(atHash, tokenHash(expected.accessToken, alg))) {
      throw new DomainException(ErrorCode.Unauthenticated, 'the ID token is not valid: at_hash does not match the access token');
    }
  }
  return payload as IdTokenClaims;
}

/** `at_hash`: the left half of the hash of the token, with the hash of the signature algorithm (SHA-512 for EdDSA). */
export function tokenHash(token: string, alg: string): string {
  const bits = alg === 'EdDSA' ? '512' : alg.slice(-3);
  const digest = createHash(`sha${bits}`).update(token, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function describe(err: unknown): string {
  // JWTExpired is a JWTClaimValidationFailed too: test it first.
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `${err.claim} ${err.reason === 'check_failed' ? 'does not match' : err.reason}`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'signature algorithm not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'signed by an unknown key';
  if (err instanceof errors.JOSEError) return err.code;
  return 'malformed';
}
