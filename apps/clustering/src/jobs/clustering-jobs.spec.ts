import { SgtCategory, type ClusterLabel } from '@clarion/clustering-core';
import { ErrorCode } from '@clarion/contracts';
import type { ClusteringTriggerFacts } from '../data';
import { dueTrigger } from './clustering-job.scheduler';
import { decodeJobCursor, encodeJobCursor } from './clustering-jobs.service';
import { planSgts } from './sgt-allocation';

const label = (sgtName: string, category: SgtCategory, text = sgtName): ClusterLabel => ({ label: text, explanation: '', basis: 'behaviour', category, sgtName });

describe('planSgts', () => {
  it('gives each unbound cluster the lowest free value of its category and a unique name', () => {
    const plan = planSgts(
      [
        { id: 'cl-b', label: label('PRINTERS', SgtCategory.DEVICES) },
        { id: 'cl-a', label: label('PRINTERS', SgtCategory.DEVICES) },
        { id: 'cl-c', label: label('CLIENTS', SgtCategory.USERS) },
        { id: 'cl-bound', label: label('CLIENTS', SgtCategory.USERS) },
      ],
      [
        { value: 20, name: 'PRINTERS', clusterId: null },
        { value: 2, name: 'OTHER', clusterId: 'cl-bound' },
      ],
    );
    expect(plan.unallocated).toEqual([]);
    expect(plan.inserts.map((s) => [s.clusterId, s.value, s.name])).toEqual([
      ['cl-a', 21, 'PRINTERS_2'],
      ['cl-b', 22, 'PRINTERS_3'],
      ['cl-c', 3, 'CLIENTS'],
    ]);
  });

  it('goes past a full category range and keeps suffixed names within 32 characters', () => {
    const full = Array.from({ length: 10 }, (_, i) => ({ value: 10 + i, name: `S${i}`, clusterId: null }));
    const long = 'SERVERS_OFFERING_TCP_443_TO_MANY';
    const plan = planSgts([{ id: 'cl-x', label: label(long, SgtCategory.SERVERS) }], [...full, { value: 40, name: long, clusterId: null }]);
    expect(plan.inserts[0]).toMatchObject({ value: 41, category: 'servers' });
    expect(plan.inserts[0].name).toBe('SERVERS_OFFERING_TCP_443_TO_MA_2');
    expect(plan.inserts[0].name.length).toBeLessThanOrEqual(32);
  });

  it("stores clustering-core's special category as the registry's custom", () => {
    expect(planSgts([{ id: 'cl-m', label: label('MIXED', SgtCategory.SPECIAL) }], []).inserts[0]).toMatchObject({ value: 30, category: 'custom' });
  });
});

describe('dueTrigger', () => {
  const options = { minEndpoints: 100, newEndpointShare: 0.1, scheduleIntervalS: 3600 };
  const now = Date.UTC(2025, 0, 1, 12);
  const facts = (over: Partial<ClusteringTriggerFacts>): ClusteringTriggerFacts => ({
    active: false,
    profiles: 1000,
    model: { createdAt: new Date(now - 60_000), endpoints: 1000 },
    newProfiles: 0,
    lastSucceededAt: new Date(now - 60_000),
    ...over,
  });

  it('queues the first run once the tenant has enough endpoints', () => {
    expect(dueTrigger(facts({ model: null, profiles: 99, lastSucceededAt: null }), options, now)).toBeNull();
    expect(dueTrigger(facts({ model: null, profiles: 100, lastSucceededAt: null }), options, now)).toBe('initial');
  });

  it('queues a run when the new endpoints exceed the share of the clustered ones', () => {
    expect(dueTrigger(facts({ newProfiles: 100 }), options, now)).toBeNull();
    expect(dueTrigger(facts({ newProfiles: 101 }), options, now)).toBe('threshold');
  });

  it('queues a scheduled run when the last success is older than the interval, unless the schedule is off', () => {
    const old = facts({ lastSucceededAt: new Date(now - 3_601_000) });
    expect(dueTrigger(old, options, now)).toBe('schedule');
    expect(dueTrigger(old, { ...options, scheduleIntervalS: 0 }, now)).toBeNull();
  });

  it('queues nothing while a job is queued or running', () => {
    expect(dueTrigger(facts({ active: true, model: null }), options, now)).toBeNull();
    expect(dueTrigger(facts({ active: true, newProfiles: 10_000 }), options, now)).toBeNull();
  });
});

describe('job cursors', () => {
  it('round-trips the exact position and rejects anything else', () => {
    const position = { createdMicros: '1735732800123456', id: '0b7c7e7e-1d2a-4c1e-9a53-6f1e2d3c4b5a' };
    expect(decodeJobCursor(encodeJobCursor(position))).toEqual(position);
    expect(() => decodeJobCursor(Buffer.from('12.not-a-uuid').toString('base64url'))).toThrow(expect.objectContaining({ code: ErrorCode.ValidationFailed }));
  });
});
