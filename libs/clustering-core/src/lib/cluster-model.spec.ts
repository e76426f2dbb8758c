import { ClusteringCoreErrorCode } from './clustering-core.error';
import { buildClusterModel, ClusterAssigner, confidenceBand, deserialiseClusterModel, memberConfidence, serialiseClusterModel } from './cluster-model';
import { FeatureSpace } from './feature-extraction';
import { matrixFromRows } from './feature-matrix';
import { FeatureScaler } from './feature-scaler';
import { hdbscan } from './hdbscan';
import { SeededRandom } from './seeded-random';

/** A model over the behaviour feature space built from three well-separated groups (already in scaled units). */
function fixture() {
  const space = new FeatureSpace();
  const d = space.dimension;
  const rng = new SeededRandom(21);
  const centres = [0, 1, 2].map((g) => Array.from({ length: d }, (_, j) => (j % 3 === g ? 6 : 0)));
  const rows: number[][] = [];
  for (const centre of centres) for (let i = 0; i < 150; i++) rows.push(centre.map((c) => c + 0.5 * rng.normal()));
  const raw = matrixFromRows(rows);
  // An identity scaler (mean 0, scale 1) keeps the test in readable units.
  const scaler = FeatureScaler.fromJSON({ kind: 'standard', clip: 100, featureNames: [...space.names], center: new Array(d).fill(0), scale: new Array(d).fill(1) });
  const result = hdbscan(raw, { minClusterSize: 20, minSamples: 5 });
  const model = buildClusterModel(space, scaler, raw, result, result.clusters.map((_, i) => `cl-${i}`), { seed: 1 });
  return { space, centres, model, result };
}

describe('ClusterAssigner', () => {
  const { centres, model, result } = fixture();
  const assigner = new ClusterAssigner(model);
  const labelOfCentre = (g: number): string => `cl-${result.labels[g * 150]}`;

  it('puts a point near a cluster into it with high confidence', () => {
    const rng = new SeededRandom(5);
    for (let g = 0; g < 3; g++) {
      const point = centres[g].map((c) => c + 0.3 * rng.normal());
      const assignment = assigner.assignScaled(point);
      expect(assignment.clusterId).toBe(labelOfCentre(g));
      expect(assignment.confidence).toBeGreaterThanOrEqual(0.75);
      expect(['high', 'very_high']).toContain(assignment.band);
    }
  });

  it('leaves a far point unassigned with zero confidence', () => {
    const far = centres[0].map((c, j) => c + (j === 1 ? 40 : 0));
    const assignment = assigner.assignScaled(far);
    expect(assignment.clusterId).toBeNull();
    expect(assignment.nearestClusterId).not.toBeNull();
    expect(assignment.distance).toBeGreaterThan(assignment.threshold);
    expect(assignment.confidence).toBe(0);
    expect(assignment.band).toBe('very_low');
  });

  it('lowers confidence as a point moves from the middle of a cluster to its edge', () => {
    const direction = centres[1].map((_, j) => (j === 5 ? 1 : 0));
    const at = (step: number) => assigner.assignScaled(centres[0].map((c, j) => c + step * direction[j]));
    const confidences = [0, 2.5, 3.5, 4.5].map((step) => at(step).confidence);
    for (let i = 1; i < confidences.length; i++) expect(confidences[i]).toBeLessThanOrEqual(confidences[i - 1]);
    expect(confidences[0]).toBeGreaterThan(confidences[3]);
  });

  it('assigns the same after the model went through JSON', () => {
    const copy = new ClusterAssigner(deserialiseClusterModel(JSON.parse(JSON.stringify(serialiseClusterModel(model)))));
    const point = centres[2].map((c, j) => c + (j === 0 ? 1 : 0));
    expect(copy.assignScaled(point)).toEqual(assigner.assignScaled(point));
  });

  it('scales raw features with the stored scaler before comparing', () => {
    const shifted = FeatureScaler.fromJSON({ ...model.scaler.toJSON(), center: new Array(model.scaler.dimension).fill(100) });
    const assignerWithShift = new ClusterAssigner({ ...model, scaler: shifted });
    const raw = centres[1].map((c) => c + 100);
    expect(assignerWithShift.assignFeatures(raw).clusterId).toBe(labelOfCentre(1));
  });

  it('rejects a vector of the wrong width with DIMENSION_MISMATCH', () => {
    expect(() => assigner.assignScaled([1, 2, 3])).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.DIMENSION_MISMATCH }));
  });
});

describe('confidence', () => {
  it('maps values to the documented bands', () => {
    expect([0.95, 0.9, 0.8, 0.75, 0.65, 0.6, 0.5, 0.4, 0.39, 0].map(confidenceBand)).toEqual([
      'very_high', 'very_high', 'high', 'high', 'medium', 'medium', 'low', 'low', 'very_low', 'very_low',
    ]);
  });

  it('trusts a member of a large, high-quality cluster more than one of a small, weak cluster', () => {
    const strong = memberConfidence({ quality: 0.95, size: 500 }, 1);
    const weak = memberConfidence({ quality: 0.3, size: 12 }, 1);
    expect(strong.band).toBe('very_high');
    expect(weak.confidence).toBeLessThan(strong.confidence);
    expect(weak.confidence).toBeGreaterThanOrEqual(0.75);
    expect(memberConfidence({ quality: 0.95, size: 500 }, 0.5).band).toBe('low');
  });
});
