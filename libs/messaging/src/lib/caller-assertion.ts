import { ACTOR_ASSERTERS, DomainException, ErrorCode, REQUESTERS, SERVICE_NAMES, type ServiceName } from '@clarion/contracts';
import { calculateJwkThumbprint, SignJWT, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as signBytes, verify as verifySignature, type KeyObject } from 'node:crypto';

/**
 * Caller assertions: every NATS request carries, in the `x-clarion-caller` header, a compact JWS (EdDSA) signed with
 * the calling service's own key, saying who sends it (`iss`), to which service (`aud`), on which subject (`sub`), for
 * how long (`exp`, under a minute) and, for a call made on behalf of a user or an API key, that actor (`act`, as the
 * gateway verified it). The receiving service verifies it before any handler runs and takes the actor, and with it the
 * tenant, from the assertion alone: a process on the service network that can publish a request still cannot say who
 * it acts for. NATS permissions decide who may publish at all; the assertion survives a misconfigured or compromised
 * bus (and the signing keys are not the NATS nkeys, so the NATS server never holds anything that could sign one).
 *
 * Both sides cache: a caller reuses an assertion for the same subject and actor for half its life, and a receiver
 * remembers the assertions it verified until they expire, so the signature costs a request nothing in the steady state.
 */

/** The JWS `typ` of a caller assertion (a token of another kind, an access token say, is refused). */
export const CALLER_ASSERTION_TYPE = 'clarion-caller+jwt';
/** How long an assertion is valid. */
export const CALLER_ASSERTION_LIFETIME_S = 30;
/** Clock difference tolerated between two services' hosts. */
const CLOCK_TOLERANCE_S = 5;

/** The actor an assertion vouches for: the fields of ActorDto, as the gateway verified them. */
export interface AssertedActor {
  kind: 'user' | 'api_key' | 'system';
  tenantId: string;
  id: string;
  permissions: string[];
  sessionId?: string;
  sourceIp?: string;
  userAgent?: string;
}

export interface VerifiedCaller {
  /** The service that sent the request (its key signed the assertion). */
  service: ServiceName;
  actor?: AssertedActor;
}

/** Why an assertion was refused: the label of `clarion_rpc_refused_total`. */
export type CallerRefusal =
  | 'missing'
  | 'malformed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'wrong_audience'
  | 'wrong_subject'
  | 'caller_not_allowed'
  | 'actor_not_allowed'
  | 'actor_not_asserted'
  | 'no_trusted_keys';

export class CallerRefusedError extends DomainException {
  constructor(readonly reason: CallerRefusal) {
    super(ErrorCode.CallerUnverified, `the request's caller assertion was refused (${reason})`);
  }
}

/** The service whose queue group answers a request subject (`clarion.<service>.…`). */
export function audienceOf(subject: string): string | undefined {
  const [root, service] = subject.split('.');
  return root === 'clarion' && service ? service : undefined;
}

/** Reads the PEM of an Ed25519 private key (PKCS#8), refusing any other kind of key. */
export function callerSigningKeyOf(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the caller signing key must be an Ed25519 key, not ${key.asymmetricKeyType ?? 'a symmetric key'}`);
  return key;
}

/** A new signing key (PKCS#8 PEM) and its public half as the trust file lists it (the JWK `x`: base64url raw key). */
export function newCallerKeyPair(): { privateKeyPem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: publicKeyTextOf(publicKey) };
}

/** The public key of a private one, as the trust file lists it. */
export function publicKeyTextOf(key: KeyObject): string {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  return String(jwk.x);
}

/**
 * The public keys a service believes, per calling identity (several during a rotation):
 * `{ "gateway": ["<base64url Ed25519 key>", ...], ... }`, the file `npm run nats -- keys` writes as `rpc-trust.json`.
 */
export type CallerTrust = Partial<Record<ServiceName, string[]>>;

export function parseCallerTrust(text: string): CallerTrust {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('the trusted caller keys are not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the trusted caller keys must be an object of service name to keys');
  const trust: CallerTrust = {};
  for (const [service, keys] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(SERVICE_NAMES as readonly string[]).includes(service)) throw new Error(`the trusted caller keys name an unknown service: ${service}`);
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string' && /^[A-Za-z0-9_-]{43}$/.test(k))) {
      throw new Error(`the trusted caller keys of ${service} must be a list of base64url Ed25519 public keys`);
    }
    trust[service as ServiceName] = keys as string[];
  }
  return trust;
}

const thumbprintOf = (x: string): Promise<string> => calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x });

/** Signs the assertions of one service's requests. */
export class CallerSigner {
  private readonly reusable = new LRUCache<string, string>({ max: 10_000, ttl: (CALLER_ASSERTION_LIFETIME_S / 2) * 1000 });
  private kid?: Promise<string>;

  constructor(
    readonly service: ServiceName,
    private readonly key: KeyObject,
  ) {}

  /** The assertion for a request on `subject`, on behalf of `actor` when there is one. */
  async assertionFor(subject: string, actor?: AssertedActor): Promise<string> {
    const cacheKey = actor ? `${subject}\u0000${JSON.stringify(actor)}` : subject;
    const reused = this.reusable.get(cacheKey);
    if (reused) return reused;
    const audience = audienceOf(subject);
    if (!audience) throw new Error(`${subject} is not a Clarion request subject (clarion.<service>.…)`);
    this.kid ??= thumbprintOf(publicKeyTextOf(this.key));
    const claims: JWTPayload & { act?: AssertedActor } = actor ? { act: actor } : {};
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', typ: CALLER_ASSERTION_TYPE, kid: await this.kid })
      .setIssuer(this.service)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(`${CALLER_ASSERTION_LIFETIME_S}s`)
      .sign(this.key);
    this.reusable.set(cacheKey, token);
    return token;
  }

  /** The signature of a message stored in a stream (see `Headers.messageSignature`): `<key id>.<signature>`. */
  async signMessage(subject: string, messageId: string, payload: Uint8Array): Promise<string> {
    this.kid ??= thumbprintOf(publicKeyTextOf(this.key));
    return `${await this.kid}.${signBytes(null, messageSigningInput(subject, messageId, payload), this.key).toString('base64url')}`;
  }
}

/** What a message signature covers: a label (no other signature of ours can be replayed as one), subject, id, payload. */
function messageSigningInput(subject: string, messageId: string, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`clarion-stream-message-v1\n${subject}\n${messageId}\n`, 'utf8'), payload]);
}

interface TrustedKey {
  service: ServiceName;
  key: KeyObject;
}

/**
 * The signature check of a compact JWS (EdDSA, Ed25519) with Node's synchronous `crypto.verify`, and its header and
 * claims parsed. Hand-written rather than jose's `jwtVerify` because the receiving service's budget is 0.2 ms of CPU
 * per request and jose (WebCrypto, on the libuv pool) spends about 1.5x a direct check on this machine
 * (`npm run bench:rpc` prints both; ADR 0015). The claims are checked by the caller; jose still signs.
 */
function verifyCompactEdDsa(assertion: string, keys: Map<string, TrustedKey>): { signer: TrustedKey; payload: JWTPayload & { act?: unknown } } {
  const [headerPart, payloadPart, signaturePart] = assertion.split('.') as [string, string, string];
  let header: { alg?: unknown; typ?: unknown; kid?: unknown; crit?: unknown };
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as typeof header;
  } catch {
    throw new CallerRefusedError('malformed');
  }
  if (header === null || typeof header !== 'object' || header.alg !== 'EdDSA' || header.typ !== CALLER_ASSERTION_TYPE || header.crit !== undefined) {
    throw new CallerRefusedError('malformed');
  }
  const signer = typeof header.kid === 'string' ? keys.get(header.kid) : undefined;
  if (!signer) throw new CallerRefusedError('unknown_key');
  const signature = Buffer.from(signaturePart, 'base64url');
  // The base64url text must be the canonical encoding of the signature, so that no two texts verify as one.
  if (signature.length !== 64 || signature.toString('base64url') !== signaturePart) throw new CallerRefusedError('bad_signature');
  if (!verifySignature(null, Buffer.from(`${headerPart}.${payloadPart}`, 'ascii'), signer.key, signature)) throw new CallerRefusedError('bad_signature');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    throw new CallerRefusedError('malformed');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw new CallerRefusedError('malformed');
  return { signer, payload: payload as JWTPayload };
}

/** Verifies the assertions of the requests a service receives. */
export class CallerVerifier {
  private readonly verified = new LRUCache<string, VerifiedCaller & { subject: string }>({ max: 20_000, ttlAutopurge: false });
  private readonly keys: Promise<Map<string, TrustedKey>>;

  constructor(
    readonly service: string,
    trust: CallerTrust | undefined,
    /** Who may request which subject (the deployment's table; a test passes its own subjects). */
    private readonly requesters: Record<string, readonly string[]> = REQUESTERS,
  ) {
    this.keys = (async () => {
      const byKid = new Map<string, TrustedKey>();
      for (const [caller, publics] of Object.entries(trust ?? {}) as Array<[ServiceName, string[]]>) {
        for (const x of publics) {
          byKid.set(await thumbprintOf(x), { service: caller, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }) });
        }
      }
      return byKid;
    })();
  }

  async hasKeys(): Promise<boolean> {
    return (await this.keys).size > 0;
  }

  /** The caller of a request on `subject`, or a CallerRefusedError saying why it is not believed. */
  async verify(assertion: string | undefined, subject: string): Promise<VerifiedCaller> {
    if (!assertion) throw new CallerRefusedError('missing');
    const known = this.verified.get(assertion);
    if (known && known.subject === subject) return { service: known.service, actor: known.actor };
    const keys = await this.keys;
    if (keys.size === 0) throw new CallerRefusedError('no_trusted_keys');
    if (assertion.length > 8192 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(assertion)) throw new CallerRefusedError('malformed');
    const { signer, payload } = verifyCompactEdDsa(assertion, keys);
    const nowS = Date.now() / 1000;
    if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number') throw new CallerRefusedError('malformed');
    if (payload.exp + CLOCK_TOLERANCE_S < nowS || payload.iat + CALLER_ASSERTION_LIFETIME_S + CLOCK_TOLERANCE_S < nowS) throw new CallerRefusedError('expired');
    if (payload.iat - CLOCK_TOLERANCE_S > nowS) throw new CallerRefusedError('malformed');
    const caller = signer.service;
    // A key vouches for its own service only.
    if (payload.iss !== caller) throw new CallerRefusedError('unknown_key');
    if (payload.aud !== this.service) throw new CallerRefusedError('wrong_audience');
    if (payload.sub !== subject) throw new CallerRefusedError('wrong_subject');
    if (!(this.requesters[subject] ?? []).includes(caller)) throw new CallerRefusedError('caller_not_allowed');
    const actor = (payload as { act?: AssertedActor }).act;
    if (actor !== undefined && (!ACTOR_ASSERTERS.includes(caller) || typeof actor !== 'object' || actor === null)) throw new CallerRefusedError('actor_not_allowed');
    const result: VerifiedCaller = actor === undefined ? { service: caller } : { service: caller, actor };
    const ttl = ((payload.exp ?? 0) + CLOCK_TOLERANCE_S) * 1000 - Date.now();
    if (ttl > 0) this.verified.set(assertion, { ...result, subject }, { ttl });
    return result;
  }

  /**
   * The publisher of a stream message whose signature verifies and who may publish on its subject (`publishers`, the
   * deployment's STREAM_PUBLISHERS), or a CallerRefusedError saying why the message is not believed.
   */
  async verifyMessage(signature: string | undefined, subject: string, messageId: string, payload: Uint8Array, publishers: readonly string[]): Promise<ServiceName> {
    if (!signature) throw new CallerRefusedError('missing');
    const keys = await this.keys;
    if (keys.size === 0) throw new CallerRefusedError('no_trusted_keys');
    const match = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{86})$/.exec(signature);
    if (!match) throw new CallerRefusedError('malformed');
    const signer = keys.get(match[1] ?? '');
    if (!signer) throw new CallerRefusedError('unknown_key');
    const bytes = Buffer.from(match[2] ?? '', 'base64url');
    if (bytes.length !== 64 || bytes.toString('base64url') !== match[2]) throw new CallerRefusedError('bad_signature');
    if (!verifySignature(null, messageSigningInput(subject, messageId, payload), signer.key, bytes)) throw new CallerRefusedError('bad_signature');
    if (!publishers.includes(signer.service)) throw new CallerRefusedError('caller_not_allowed');
    return signer.service;
  }
}
