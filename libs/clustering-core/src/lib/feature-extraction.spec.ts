import { ClusteringCoreErrorCode } from './clustering-core.error';
import { EndpointProfile } from './endpoint-profile';
import { BEHAVIOUR_FEATURE_NAMES, FeatureSpace, IDENTITY_FEATURE_NAMES } from './feature-extraction';
import { matrixFromRows } from './feature-matrix';
import { FeatureScaler } from './feature-scaler';
import { synthesiseRoleFlows } from '../testing/role-flows';

function profileOf(role: string, seed = 1): EndpointProfile {
  const self = `10.77.0.${seed}`;
  const profile = new EndpointProfile();
  for (const f of synthesiseRoleFlows(role, self, 7, seed)) {
    const side = f.srcAddress === self ? 'src' : 'dst';
    profile.observe(f, side, `ip:${side === 'src' ? f.dstAddress : f.srcAddress}`);
  }
  return profile;
}

const space = new FeatureSpace();
const feature = (vector: ArrayLike<number>, name: string): number => vector[space.names.indexOf(name)];

describe('FeatureSpace', () => {
  it('has between 20 and 40 behaviour features and optional identity features', () => {
    expect(BEHAVIOUR_FEATURE_NAMES.length).toBeGreaterThanOrEqual(20);
    expect(BEHAVIOUR_FEATURE_NAMES.length).toBeLessThanOrEqual(40);
    expect(new FeatureSpace({ identity: true }).dimension).toBe(BEHAVIOUR_FEATURE_NAMES.length + IDENTITY_FEATURE_NAMES.length);
  });

  it('separates printers, cameras and phones by the service ports they answer', () => {
    const printer = space.extract(profileOf('printer'));
    const camera = space.extract(profileOf('camera'));
    const phone = space.extract(profileOf('phone'));
    expect(feature(printer, 'srv_print')).toBeGreaterThan(0.5);
    expect(feature(camera, 'srv_print')).toBe(0);
    expect(feature(camera, 'srv_camera')).toBeGreaterThan(0.4);
    expect(feature(phone, 'srv_voip') + feature(phone, 'cli_voip')).toBeGreaterThan(0.4);
    expect(feature(phone, 'rtp_media_share')).toBeGreaterThan(0.2);
    expect(feature(printer, 'in_byte_share')).toBeGreaterThan(0.9);
    expect(feature(camera, 'in_byte_share')).toBeLessThan(0.1);
  });

  it('tells a server from a workstation by who opened the connections', () => {
    const server = space.extract(profileOf('web-server'));
    const workstation = space.extract(profileOf('workstation'));
    expect(feature(server, 'client_share')).toBeLessThan(0.15);
    expect(feature(workstation, 'client_share')).toBeGreaterThan(0.9);
    expect(feature(server, 'srv_web')).toBeGreaterThan(0.8);
    expect(feature(workstation, 'cli_web')).toBeGreaterThan(0.4);
    expect(feature(server, 'log_peers')).toBeGreaterThan(feature(workstation, 'log_peers'));
  });

  it('sees office hours in a workstation and round-the-clock activity in a camera', () => {
    const workstation = space.extract(profileOf('workstation'));
    const camera = space.extract(profileOf('camera'));
    expect(feature(workstation, 'business_hour_share')).toBe(1);
    expect(feature(camera, 'night_share')).toBeGreaterThan(0.15);
    expect(feature(camera, 'active_hour_share')).toBeGreaterThan(feature(workstation, 'active_hour_share'));
  });

  it('measures the active-hour share over at least a day, so a device seen for a few hours is not "always on"', () => {
    const visitor = (hours: readonly number[]): Float64Array | Float32Array => {
      const profile = new EndpointProfile();
      for (const h of hours) {
        const startMs = Date.UTC(2024, 0, 1, h, 10);
        const flow = { srcPort: 51000, dstPort: 443, protocol: 6, tcpFlags: 0x1b, bytes: 4000, packets: 8, startMs, endMs: startMs + 60_000 };
        profile.observe(flow, 'src', 'ip:192.0.2.1');
      }
      return space.extract(profile);
    };
    // Three busy hours in a row and three hours with a gap: the same behaviour, nearly the same share.
    expect(feature(visitor([10, 11, 12]), 'active_hour_share')).toBeCloseTo(3 / 24);
    expect(feature(visitor([10, 11, 13]), 'active_hour_share')).toBeCloseTo(3 / 24);
    const allDay = visitor(Array.from({ length: 24 }, (_, h) => h));
    expect(feature(allDay, 'active_hour_share')).toBe(1);
  });

  it('sets identity features only when identity is part of the space', () => {
    const withIdentity = new FeatureSpace({ identity: true });
    const vector = withIdentity.extract(profileOf('printer'), { deviceType: 'Printer', groups: ['Facilities'], user: null });
    const identityPart = Array.from(vector.slice(BEHAVIOUR_FEATURE_NAMES.length));
    expect(identityPart.filter((v) => v === 1)).toHaveLength(2);
    expect(space.extract(profileOf('printer'), { deviceType: 'Printer' }).length).toBe(BEHAVIOUR_FEATURE_NAMES.length);
  });

  it('gives an empty profile finite neutral features', () => {
    expect(Array.from(space.extract(new EndpointProfile())).every(Number.isFinite)).toBe(true);
  });
});

describe('FeatureScaler', () => {
  const matrix = matrixFromRows([
    [1, 10, 0],
    [2, 20, 0],
    [3, 30, 0],
    [4, 40, 0],
  ]);

  it('standardises each feature to mean 0 and unit deviation', () => {
    const scaler = FeatureScaler.fit(matrix, { kind: 'standard', clip: 10 });
    const scaled = scaler.transform(matrix);
    for (let j = 0; j < 2; j++) {
      const column = [0, 1, 2, 3].map((i) => scaled.values[i * 3 + j]);
      expect(column.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 5);
      expect(Math.sqrt(column.reduce((a, b) => a + b * b, 0) / 4)).toBeCloseTo(1, 5);
    }
    expect(scaled.values[2]).toBe(0);
  });

  it('clips extreme values and respects per-feature minimum scales', () => {
    const scaler = FeatureScaler.fit(matrix, { kind: 'standard', clip: 1, minScales: [0, 0, 0.5] });
    const out = new Float64Array(3);
    scaler.transformVector([100, 25, 1], out);
    expect(out[0]).toBe(1);
    expect(out[2]).toBe(1);
    scaler.transformVector([2.5, 25, 0.25], out);
    expect(out[2]).toBeCloseTo(0.5, 6);
  });

  it('uses median and IQR when robust', () => {
    const scaler = FeatureScaler.fit(matrixFromRows([[0], [1], [2], [3], [1000]]), { kind: 'robust', clip: 100 });
    expect(scaler.center[0]).toBe(2);
    expect(scaler.scale[0]).toBeCloseTo(2 / 1.349, 6);
  });

  it('round-trips through JSON and transforms identically', () => {
    const scaler = FeatureScaler.fit(matrix, { kind: 'standard', clip: 3 });
    const copy = FeatureScaler.fromJSON(JSON.parse(JSON.stringify(scaler.toJSON())));
    expect(Array.from(copy.transform(matrix).values)).toEqual(Array.from(scaler.transform(matrix).values));
  });

  it('rejects a matrix of the wrong width with DIMENSION_MISMATCH', () => {
    const scaler = FeatureScaler.fit(matrix, { kind: 'standard', clip: 3 });
    expect(() => scaler.transform(matrixFromRows([[1, 2]]))).toThrow(expect.objectContaining({ code: ClusteringCoreErrorCode.DIMENSION_MISMATCH }));
  });
});
