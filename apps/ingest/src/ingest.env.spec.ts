import { ConfigValidationError, validateEnv } from '@clarion/config';
import { fieldRefsOf, IngestEnv, listeningPortsOf, udpPortsOf } from './ingest.env';

const base = { CLARION_ENV: 'test', DATABASE_URL: 'postgres://clarion_app@127.0.0.1:5432/clarion' };

function problems(raw: Record<string, string>): string[] {
  try {
    validateEnv(IngestEnv, { ...base, ...raw }, 'ingest');
    return [];
  } catch (err) {
    if (!(err instanceof ConfigValidationError)) throw err;
    return err.problems.map((p) => `${p.variable}: ${p.reason}`);
  }
}

describe('IngestEnv', () => {
  it('listens on 2055 and 4739, dual-stack, refusing unknown exporters by default', () => {
    const env = validateEnv(IngestEnv, base, 'ingest');
    expect(udpPortsOf(env)).toEqual([2055, 4739]);
    expect(env.INGEST_UDP_HOST).toBe('::');
    expect(env.INGEST_DEFAULT_TENANT).toBeUndefined();
    expect(fieldRefsOf(env.INGEST_SGT_SOURCE_FIELDS)).toEqual([{ id: 34000 }, { id: 1232, enterprise: 9 }]);
    expect(fieldRefsOf(env.INGEST_SGT_DESTINATION_FIELDS)).toEqual([{ id: 34001 }, { id: 1233, enterprise: 9 }]);
  });

  it('reads ports, the exporter map and SGT fields', () => {
    const env = validateEnv(
      IngestEnv,
      { ...base, INGEST_UDP_PORTS: '9995, 9996', INGEST_EXPORTER_TENANTS: '10.0.0.0/8=acme', INGEST_SGT_DESTINATION_FIELDS: '34001,9:12345' },
      'ingest',
    );
    expect(udpPortsOf(env)).toEqual([9995, 9996]);
    expect(env.INGEST_EXPORTER_TENANTS).toBe('10.0.0.0/8=acme');
    expect(fieldRefsOf(env.INGEST_SGT_DESTINATION_FIELDS)).toEqual([{ id: 34001 }, { id: 12345, enterprise: 9 }]);
  });

  it('names every bad ingest variable at once', () => {
    const found = problems({
      INGEST_UDP_PORTS: '2055,70000',
      INGEST_EXPORTER_TENANTS: '10.0.0.0/40=acme',
      INGEST_DEFAULT_TENANT: 'Not A Slug',
      INGEST_BATCH_MAX_ROWS: '0',
      INGEST_SGT_SOURCE_FIELDS: 'x',
    });
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual([
      'INGEST_BATCH_MAX_ROWS',
      'INGEST_DEFAULT_TENANT',
      'INGEST_EXPORTER_TENANTS',
      'INGEST_SGT_SOURCE_FIELDS',
      'INGEST_UDP_PORTS',
    ]);
    expect(found.find((p) => p.startsWith('INGEST_EXPORTER_TENANTS'))).toMatch(/bad prefix length/);
  });

  it('listens for sFlow on 6343 besides the flow export ports, or on none', () => {
    expect(listeningPortsOf(validateEnv(IngestEnv, base, 'ingest'))).toEqual([2055, 4739, 6343]);
    expect(listeningPortsOf(validateEnv(IngestEnv, { ...base, INGEST_SFLOW_PORTS: 'none' }, 'ingest'))).toEqual([2055, 4739]);
    expect(listeningPortsOf(validateEnv(IngestEnv, { ...base, INGEST_UDP_PORTS: '9995', INGEST_SFLOW_PORTS: '6343,6344' }, 'ingest'))).toEqual([9995, 6343, 6344]);
  });

  it('refuses an sFlow port that is also a flow export port', () => {
    expect(problems({ INGEST_SFLOW_PORTS: '6343,2055' })).toEqual(['INGEST_SFLOW_PORTS: must not repeat a port of INGEST_UDP_PORTS (every port takes every protocol already)']);
    expect(problems({ INGEST_SFLOW_PORTS: '6343,6343' })).toEqual(['INGEST_SFLOW_PORTS: must be a comma-separated list of distinct ports (1-65535)']);
  });

  it('refuses a port listed twice', () => {
    expect(problems({ INGEST_UDP_PORTS: '2055,2055' })).toEqual(['INGEST_UDP_PORTS: must be a comma-separated list of distinct ports (1-65535)']);
  });
});
