import { Subjects } from '@clarion/contracts';
import fc from 'fast-check';
import { SignJWT, decodeProtectedHeader } from 'jose';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import {
  CALLER_ASSERTION_TYPE,
  CallerRefusedError,
  CallerSigner,
  CallerVerifier,
  callerSigningKeyOf,
  newCallerKeyPair,
  parseCallerTrust,
  type AssertedActor,
  type CallerRefusal,
} from './caller-assertion';

const gatewayKeys = newCallerKeyPair();
const ingestKeys = newCallerKeyPair();
const strangerKeys = newCallerKeyPair();
const gateway = new CallerSigner('gateway', callerSigningKeyOf(gatewayKeys.privateKeyPem));
const ingest = new CallerSigner('ingest', callerSigningKeyOf(ingestKeys.privateKeyPem));
const stranger = new CallerSigner('gateway', callerSigningKeyOf(strangerKeys.privateKeyPem));
const trust = { gateway: [gatewayKeys.publicKey], ingest: [ingestKeys.publicKey] };
const auth = new CallerVerifier('auth', trust);

const ACTOR: AssertedActor = { kind: 'user', tenantId: '7b0e6f9e-51b6-4d57-8a0a-0d8f0c0f1a11', id: 'u-1', permissions: ['users:manage'], sessionId: '1f4f1e1c-8d8e-4f2a-9a55-9f1f0d1e2c3b' };

async function refusal(promise: Promise<unknown>): Promise<CallerRefusal | 'accepted'> {
  try {
    await promise;
    return 'accepted';
  } catch (err) {
    if (err instanceof CallerRefusedError) return err.reason;
    throw err;
  }
}

/** An assertion made by hand with the gateway's real key, to vary one claim at a time. */
async function handMade(claims: Record<string, unknown>, opts: { typ?: string; expSeconds?: number; iat?: number; key?: string } = {}): Promise<string> {
  const kid = decodeProtectedHeader(await gateway.assertionFor(Subjects.auth.me)).kid!;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: opts.typ ?? CALLER_ASSERTION_TYPE, kid })
    .setIssuedAt(opts.iat)
    .setExpirationTime(opts.expSeconds ?? Math.floor(Date.now() / 1000) + 30);
  return jwt.sign(createPrivateKey(opts.key ?? gatewayKeys.privateKeyPem));
}

describe('caller assertions', () => {
  it("carries the gateway's actor to the service the subject belongs to", async () => {
    const token = await gateway.assertionFor(Subjects.auth.usersCreate, ACTOR);
    expect(await auth.verify(token, Subjects.auth.usersCreate)).toEqual({ service: 'gateway', actor: ACTOR });
    expect(await new CallerVerifier('clustering', trust).verify(await gateway.assertionFor(Subjects.clustering.sgtsList, ACTOR), Subjects.clustering.sgtsList)).toEqual({
      service: 'gateway',
      actor: ACTOR,
    });
  });

  it('answers a call made without an actor (sign-in, status) as the calling service alone', async () => {
    expect(await auth.verify(await gateway.assertionFor(Subjects.auth.login), Subjects.auth.login)).toEqual({ service: 'gateway' });
  });

  it('reuses an assertion for the same subject and actor, and makes another for another actor', async () => {
    const one = await gateway.assertionFor(Subjects.auth.me, ACTOR);
    expect(await gateway.assertionFor(Subjects.auth.me, ACTOR)).toBe(one);
    expect(await gateway.assertionFor(Subjects.auth.me, { ...ACTOR, tenantId: '0b0e6f9e-51b6-4d57-8a0a-0d8f0c0f1a11' })).not.toBe(one);
  });

  it('refuses what nobody vouched for: missing, garbage, unknown keys, tampered claims', async () => {
    expect(await refusal(auth.verify(undefined, Subjects.auth.me))).toBe('missing');
    expect(await refusal(auth.verify('not a token', Subjects.auth.me))).toBe('malformed');
    expect(await refusal(auth.verify(await stranger.assertionFor(Subjects.auth.me, ACTOR), Subjects.auth.me))).toBe('unknown_key');
    const [header, payload, signature] = (await gateway.assertionFor(Subjects.auth.me, ACTOR)).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { act: AssertedActor };
    claims.act.tenantId = '00000000-0000-4000-8000-000000000000';
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(await refusal(auth.verify(tampered, Subjects.auth.me))).toBe('bad_signature');
  });

  it('binds the audience, the subject and the lifetime', async () => {
    const forUsers = await gateway.assertionFor(Subjects.auth.usersList, ACTOR);
    expect(await refusal(auth.verify(forUsers, Subjects.auth.usersCreate))).toBe('wrong_subject');
    expect(await refusal(new CallerVerifier('clustering', trust).verify(forUsers, Subjects.auth.usersList))).toBe('wrong_audience');
    const now = Math.floor(Date.now() / 1000);
    const base = { iss: 'gateway', aud: 'auth', sub: Subjects.auth.me, act: ACTOR };
    expect(await refusal(auth.verify(await handMade(base, { iat: now - 120, expSeconds: now - 60 }), Subjects.auth.me))).toBe('expired');
    // A long-lived assertion is refused by its age even when its own expiry says otherwise.
    expect(await refusal(auth.verify(await handMade(base, { iat: now - 600, expSeconds: now + 3600 }), Subjects.auth.me))).toBe('expired');
    expect(await refusal(auth.verify(await handMade(base, { typ: 'JWT' }), Subjects.auth.me))).toBe('malformed');
    expect(await refusal(auth.verify(await handMade({ ...base, iss: 'ingest' }), Subjects.auth.me))).toBe('unknown_key');
    expect(await refusal(auth.verify(await handMade(base), Subjects.auth.me))).toBe('accepted');
  });

  it('lets only the gateway request, and vouch for an actor', async () => {
    const asIngest = await ingest.assertionFor(Subjects.auth.usersCreate, ACTOR);
    expect(await refusal(auth.verify(asIngest, Subjects.auth.usersCreate))).toBe('caller_not_allowed');
    const permissive = new CallerVerifier('auth', trust, { [Subjects.auth.usersCreate]: ['gateway', 'ingest'] });
    expect(await refusal(permissive.verify(asIngest, Subjects.auth.usersCreate))).toBe('actor_not_allowed');
    expect(await refusal(permissive.verify(await ingest.assertionFor(Subjects.auth.usersCreate), Subjects.auth.usersCreate))).toBe('accepted');
  });

  it('refuses everything when it trusts no key', async () => {
    expect(await refusal(new CallerVerifier('auth', undefined).verify(await gateway.assertionFor(Subjects.auth.me), Subjects.auth.me))).toBe('no_trusted_keys');
  });

  it('refuses any change to a valid assertion (property)', async () => {
    const token = await gateway.assertionFor(Subjects.auth.sessionsRevoke, ACTOR);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: token.length - 1 }), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'), async (at, char) => {
        fc.pre(token[at] !== char);
        const changed = token.slice(0, at) + char + token.slice(at + 1);
        const outcome = await refusal(new CallerVerifier('auth', trust).verify(changed, Subjects.auth.sessionsRevoke));
        // The last character of a base64url segment may carry unused bits: a change there can decode to the same bytes.
        if (outcome === 'accepted') expect(Buffer.from(changed.split('.')[2] ?? '', 'base64url')).toEqual(Buffer.from(token.split('.')[2]!, 'base64url'));
      }),
      { numRuns: 300 },
    );
  });

  describe('stream message signatures', () => {
    const payload = Buffer.from('a flow batch for tenant A');
    const subject = 'clarion.flows.batch.v1';
    const clustering = new CallerVerifier('clustering', trust);

    it("believes a message only as ingest signed it: that subject, that id, those bytes, from a publisher of the subject", async () => {
      const signature = await ingest.signMessage(subject, 'b-1.0', payload);
      expect(await clustering.verifyMessage(signature, subject, 'b-1.0', payload, ['ingest'])).toBe('ingest');
      expect(await refusal(clustering.verifyMessage(signature, subject, 'b-1.1', payload, ['ingest']))).toBe('bad_signature');
      expect(await refusal(clustering.verifyMessage(signature, 'clarion.flows.other.v1', 'b-1.0', payload, ['ingest']))).toBe('bad_signature');
      const otherTenant = Buffer.from(payload);
      otherTenant[otherTenant.length - 1] ^= 1;
      expect(await refusal(clustering.verifyMessage(signature, subject, 'b-1.0', otherTenant, ['ingest']))).toBe('bad_signature');
      expect(await refusal(clustering.verifyMessage(await gateway.signMessage(subject, 'b-1.0', payload), subject, 'b-1.0', payload, ['ingest']))).toBe('caller_not_allowed');
      expect(await refusal(clustering.verifyMessage(await stranger.signMessage(subject, 'b-1.0', payload), subject, 'b-1.0', payload, ['ingest']))).toBe('unknown_key');
      expect(await refusal(clustering.verifyMessage(undefined, subject, 'b-1.0', payload, ['ingest']))).toBe('missing');
      expect(await refusal(clustering.verifyMessage('garbage', subject, 'b-1.0', payload, ['ingest']))).toBe('malformed');
    });

    it('cannot be replayed as a caller assertion, nor an assertion as a message signature', async () => {
      const token = await ingest.assertionFor(Subjects.auth.me);
      const [h, p, sig] = token.split('.') as [string, string, string];
      const kid = decodeProtectedHeader(token).kid!;
      expect(await refusal(clustering.verifyMessage(`${kid}.${sig}`, subject, 'x', Buffer.from(`${h}.${p}`), ['ingest']))).toBe('bad_signature');
    });
  });

  it('reads the trust file and refuses a wrong one, naming the problem', () => {
    expect(parseCallerTrust(JSON.stringify(trust))).toEqual(trust);
    expect(() => parseCallerTrust('{')).toThrow(/not JSON/);
    expect(() => parseCallerTrust('{"mallory":[]}')).toThrow(/unknown service: mallory/);
    expect(() => parseCallerTrust('{"gateway":["short"]}')).toThrow(/base64url Ed25519/);
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => callerSigningKeyOf(ecKey)).toThrow(/must be an Ed25519 key, not ec/);
  });
});
