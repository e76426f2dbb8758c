// Behavioural profiles of the simulator's synthetic enterprise, built the way the clustering service builds them: the
// simulator's flows (in-process, no UDP) go one by one through observeFlowOnEndpoints, keyed by endpointKeyOf (the
// MAC, which every simulated record carries; internet addresses sit behind the gateway's MAC). The ground truth is
// kept beside the profiles, never passed to the clustering.
import { EndpointProfile, observeFlowOnEndpoints, SeededRandom, type EndpointInput } from '@clarion/clustering-core';
import { buildEnterprise, FlowGenerator, truthOf, type SimulatedFlow, type TruthRecord } from '../../simulator';

export interface SimulatorProfileOptions {
  seed: number;
  endpoints: number;
  /** Share of irregular endpoints (the simulator's `noise`). */
  noise: number;
  /** Simulated days of traffic, from `startMs`. */
  days: number;
  /** Simulated start, epoch ms (a Monday 00:00 UTC keeps the weekdays of every run the same). */
  startMs: number;
}

export interface SimulatorProfiles {
  /** One input per endpoint key seen in the flows, in order of first appearance. */
  inputs: EndpointInput[];
  /** Ground truth by endpoint key, for every endpoint of the enterprise (seen or not). */
  truth: ReadonlyMap<string, TruthRecord>;
  /** Enterprise endpoints (gateway included) that sent or received nothing in the period (guests on a day off). */
  unseen: number;
  /** Keys seen in flows that the ground truth does not know (0 with the simulator: everything carries a MAC). */
  withoutTruth: number;
  flows: number;
  generateSeconds: number;
  observeSeconds: number;
}

const CHUNK = 100_000;
export const DAY_MS = 86_400_000;

export function buildSimulatorProfiles(options: SimulatorProfileOptions): SimulatorProfiles {
  const enterprise = buildEnterprise({ seed: options.seed, endpoints: options.endpoints, noise: options.noise });
  const truth = new Map(enterprise.endpoints.map((e) => [truthOf(e).key, truthOf(e)]));
  const generator = new FlowGenerator(enterprise, { startMs: options.startMs });
  const until = options.startMs + options.days * DAY_MS;
  const profiles = new Map<string, EndpointProfile>();
  const profileOf = (key: string): EndpointProfile => {
    let profile = profiles.get(key);
    if (!profile) {
      profile = new EndpointProfile();
      profiles.set(key, profile);
    }
    return profile;
  };
  const chunk: SimulatedFlow[] = [];
  let flows = 0;
  let generateNs = 0n;
  let observeNs = 0n;
  for (;;) {
    chunk.length = 0;
    const t0 = process.hrtime.bigint();
    const produced = generator.generate(until, CHUNK, chunk);
    const t1 = process.hrtime.bigint();
    for (const flow of chunk) observeFlowOnEndpoints(flow, profileOf);
    observeNs += process.hrtime.bigint() - t1;
    generateNs += t1 - t0;
    flows += produced;
    if (produced < CHUNK) break;
  }
  let withoutTruth = 0;
  for (const key of profiles.keys()) if (!truth.has(key)) withoutTruth++;
  return {
    inputs: [...profiles].map(([endpoint, profile]) => ({ endpoint, profile })),
    truth,
    unseen: enterprise.endpoints.length - (profiles.size - withoutTruth),
    withoutTruth,
    flows,
    generateSeconds: Number(generateNs) / 1e9,
    observeSeconds: Number(observeNs) / 1e9,
  };
}

/**
 * Splits endpoints into a first population and the "new" endpoints that arrive before the re-run: `growth` of the
 * first population (5 % -> 1 in 21 of all), drawn at random (seeded) so every role and every exporter contributes.
 */
export function holdOutNewEndpoints<T>(items: readonly T[], growth: number, seed: number): { first: T[]; added: T[] } {
  const addedCount = Math.round((items.length * growth) / (1 + growth));
  const order = Array.from({ length: items.length }, (_, i) => i);
  const rng = new SeededRandom(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const added = new Set(order.slice(0, addedCount));
  return { first: items.filter((_, i) => !added.has(i)), added: items.filter((_, i) => added.has(i)) };
}
