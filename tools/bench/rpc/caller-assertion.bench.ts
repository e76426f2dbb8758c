// Benchmark of the caller assertions every NATS request carries (libs/messaging caller-assertion.ts), on one core:
// the CPU a receiving service spends verifying one (the budget is 0.2 ms per request), cold (every assertion new:
// an EdDSA signature check through jose) and in the steady state (the same assertion again within its life: a cache
// read), and what the calling gateway spends signing one (cold and reused). Anchor, in the same run: verifying the
// gateway's own access token (jose jwtVerify, EdDSA), the check every authenticated HTTP request already pays.
//   npm run bench:rpc [-- --iterations=5000]
// Prints human-readable lines, then one JSON line with every figure.
import { Subjects } from '@clarion/contracts';
import { CallerSigner, CallerVerifier, callerSigningKeyOf, newCallerKeyPair, type AssertedActor } from '@clarion/messaging';
import { SignJWT, jwtVerify } from 'jose';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { machineProbeMs } from '../machine-probe';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '5000' } } });
const N = Number(values.iterations);

const keys = newCallerKeyPair();
const trust = { gateway: [keys.publicKey] };
const ACTOR: AssertedActor = {
  kind: 'user',
  tenantId: '7b0e6f9e-51b6-4d57-8a0a-0d8f0c0f1a11',
  id: '2d0c8a4e-7f36-4b8e-9d51-4f4c1a2b3c4d',
  permissions: ['clusters:read', 'endpoints:read', 'flows:read', 'policy:read', 'sgts:read', 'users:read', 'apikeys:manage', 'audit:read'],
  sessionId: '1f4f1e1c-8d8e-4f2a-9a55-9f1f0d1e2c3b',
  sourceIp: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Clarion-bench',
};

/** CPU microseconds per operation (user + system) and wall operations per second. */
async function measure(label: string, n: number, op: (i: number) => Promise<unknown>): Promise<{ cpuUsPerOp: number; opsPerSec: number }> {
  for (let i = 0; i < Math.min(500, n); i++) await op(i); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op(i);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const result = { cpuUsPerOp: Math.round(((cpu.user + cpu.system) / n) * 10) / 10, opsPerSec: Math.round(n / wallS) };
  console.log(`${label.padEnd(52)} ${String(result.cpuUsPerOp).padStart(8)} µs CPU/op ${String(result.opsPerSec).padStart(9)} ops/s`);
  return result;
}

async function main(): Promise<void> {
  const probeMs = machineProbeMs();
  console.log(`caller assertions: ${N} operations each, node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, machine probe ${probeMs} ms`);
  const signer = new CallerSigner('gateway', callerSigningKeyOf(keys.privateKeyPem));

  const signCold = await measure('gateway signs a new assertion', N, (i) => signer.assertionFor(Subjects.clustering.endpointsList, { ...ACTOR, id: `s-${i}` }));
  const signReused = await measure('gateway reuses an assertion (same subject, actor)', N, () => signer.assertionFor(Subjects.clustering.endpointsList, ACTOR));
  // Distinct assertions (one actor per i), made just before the verify loop so that it measures verification alone
  // (within their 30 s life: keep --iterations at a size this machine signs in a few seconds).
  const maker = new CallerSigner('gateway', callerSigningKeyOf(keys.privateKeyPem));
  const distinct: string[] = [];
  for (let i = 0; i < N + 500; i++) distinct.push(await maker.assertionFor(Subjects.clustering.endpointsList, { ...ACTOR, id: `u-${i}` }));

  let coldVerifier = new CallerVerifier('clustering', trust);
  await coldVerifier.hasKeys();
  const verifyCold = await measure('service verifies a new assertion', N, (i) => coldVerifier.verify(distinct[i % distinct.length], Subjects.clustering.endpointsList));
  coldVerifier = new CallerVerifier('clustering', trust);
  const one = await signer.assertionFor(Subjects.clustering.endpointsList, ACTOR);
  await coldVerifier.verify(one, Subjects.clustering.endpointsList);
  const verifyCached = await measure('service verifies an assertion seen before', N, () => coldVerifier.verify(one, Subjects.clustering.endpointsList));

  // Anchor: an access token like the auth service's (EdDSA JWT), verified as the gateway's guard does.
  const privateKey = createPrivateKey(keys.privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const token = await new SignJWT({ tid: ACTOR.tenantId, roles: ['admin'], sid: ACTOR.sessionId })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setIssuer('clarion-auth')
    .setAudience('clarion-api')
    .setSubject(ACTOR.id)
    .setIssuedAt()
    .setExpirationTime('15m')
    .sign(privateKey);
  const anchor = await measure('anchor: jose verifies an access token (EdDSA)', N, () => jwtVerify(token, publicKey, { issuer: 'clarion-auth', audience: 'clarion-api' }));

  const budgetUs = 200;
  console.log(`cold verification: ${verifyCold.cpuUsPerOp} µs of the ${budgetUs} µs budget; ${(verifyCold.cpuUsPerOp / anchor.cpuUsPerOp).toFixed(2)}x an access-token check`);
  console.log(
    JSON.stringify({
      bench: 'rpc-caller-assertion',
      iterations: N,
      machineProbeMs: probeMs,
      signColdCpuUs: signCold.cpuUsPerOp,
      signReusedCpuUs: signReused.cpuUsPerOp,
      verifyColdCpuUs: verifyCold.cpuUsPerOp,
      verifyCachedCpuUs: verifyCached.cpuUsPerOp,
      anchorAccessTokenVerifyCpuUs: anchor.cpuUsPerOp,
      ratioColdVerifyVsAnchor: Math.round((verifyCold.cpuUsPerOp / anchor.cpuUsPerOp) * 100) / 100,
      withinBudget: verifyCold.cpuUsPerOp <= budgetUs,
    }),
  );
}

void main();
