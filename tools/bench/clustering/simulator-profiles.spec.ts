import { buildSimulatorProfiles, DAY_MS, holdOutNewEndpoints } from './simulator-profiles';

describe('simulator profiles for the clustering benchmark', () => {
  const options = { seed: 5, endpoints: 60, noise: 0.1, days: 1 / 24, startMs: Date.UTC(2024, 0, 1, 9) };

  it('keys every profile by an enterprise MAC and counts each flow on both of its endpoints', () => {
    const sim = buildSimulatorProfiles(options);
    expect(sim.flows).toBeGreaterThan(1000);
    expect(sim.withoutTruth).toBe(0);
    expect(sim.inputs.every((i) => i.endpoint.startsWith('mac:') && sim.truth.has(i.endpoint))).toBe(true);
    expect(sim.inputs.length + sim.unseen).toBe(sim.truth.size);
    const observations = sim.inputs.reduce((sum, i) => sum + i.profile.flows, 0);
    expect(observations).toBe(2 * sim.flows);
    const lastSeen = Math.max(...sim.inputs.map((i) => i.profile.lastSeenMs));
    expect(lastSeen).toBeLessThanOrEqual(options.startMs + options.days * DAY_MS);
  });

  it('builds the same profiles from the same seed', () => {
    const a = buildSimulatorProfiles(options);
    const b = buildSimulatorProfiles(options);
    expect(b.inputs.map((i) => [i.endpoint, i.profile.flows, i.profile.bytesIn])).toEqual(a.inputs.map((i) => [i.endpoint, i.profile.flows, i.profile.bytesIn]));
  });

  it('holds out the share of new endpoints that makes the first population grow by it', () => {
    const items = Array.from({ length: 2100 }, (_, i) => i);
    const { first, added } = holdOutNewEndpoints(items, 0.05, 9);
    expect(first).toHaveLength(2000);
    expect(added).toHaveLength(100);
    expect(new Set([...first, ...added]).size).toBe(2100);
    expect(holdOutNewEndpoints(items, 0.05, 9).added).toEqual(added);
    expect(holdOutNewEndpoints(items, 0.05, 10).added).not.toEqual(added);
  });
});
