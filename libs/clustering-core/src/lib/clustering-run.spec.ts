import { ClusterAssigner } from './cluster-model';
import { adjustedRandIndex } from './clustering-metrics';
import { runClustering, type EndpointInput } from './clustering-run';
import { EndpointProfile } from './endpoint-profile';
import { FLOW_ROLE_NAMES, synthesiseRoleFlows } from '../testing/role-flows';

function endpoint(role: string, index: number): EndpointInput & { role: string } {
  const self = `10.${FLOW_ROLE_NAMES.indexOf(role) + 1}.${index >> 8}.${index & 255}`;
  const profile = new EndpointProfile();
  // Web servers are busy: one day of their flows is plenty.
  for (const f of synthesiseRoleFlows(role, self, role === 'web-server' ? 1 : 3, 1000 * FLOW_ROLE_NAMES.indexOf(role) + index)) {
    const side = f.srcAddress === self ? 'src' : 'dst';
    profile.observe(f, side, `ip:${side === 'src' ? f.dstAddress : f.srcAddress}`);
  }
  return { endpoint: `ip:${self}`, profile, role };
}

describe('runClustering', () => {
  const population = FLOW_ROLE_NAMES.flatMap((role) => Array.from({ length: 30 }, (_, i) => endpoint(role, i)));
  const first = runClustering(population);

  it('groups endpoints built from flows by their role, behaviour only', () => {
    const roleIndex = population.map((e) => FLOW_ROLE_NAMES.indexOf(e.role));
    const clusterIndex = first.memberships.map((m) => (m.clusterId === null ? -1 : first.clusters.findIndex((c) => c.id === m.clusterId)));
    expect(first.clusters).toHaveLength(FLOW_ROLE_NAMES.length);
    expect(adjustedRandIndex(clusterIndex, roleIndex)).toBeGreaterThan(0.9);
    expect(first.noiseRate).toBeLessThan(0.1);
  });

  it('labels the clusters in words and gives members confidence bands', () => {
    const labels = first.clusters.map((c) => c.label.label);
    expect(labels).toEqual(expect.arrayContaining([expect.stringMatching(/^Printers: \d+ % use tcp\/9100$/), expect.stringMatching(/^Servers offering tcp\/443 to \d+ peers$/), 'Client devices']));
    expect(first.memberships.filter((m) => m.clusterId !== null).every((m) => m.confidence > 0 && m.confidence <= 1)).toBe(true);
  });

  it('keeps every cluster id on a re-run with new endpoints added', () => {
    const grown = [...population, ...FLOW_ROLE_NAMES.map((role) => endpoint(role, 200))];
    const second = runClustering(grown, first.clusters.map((c) => ({ id: c.id, members: c.members })));
    expect(second.clusters.map((c) => c.id).sort()).toEqual(first.clusters.map((c) => c.id).sort());
    expect(second.retiredIds).toEqual([]);
  });

  it('assigns a new printer incrementally to the printer cluster', () => {
    const printerCluster = first.clusters.find((c) => c.label.label.startsWith('Printers'))!;
    const assignment = new ClusterAssigner(first.model).assignProfile(endpoint('printer', 300).profile);
    expect(assignment.clusterId).toBe(printerCluster.id);
    expect(assignment.confidence).toBeGreaterThanOrEqual(0.6);
  });
});
