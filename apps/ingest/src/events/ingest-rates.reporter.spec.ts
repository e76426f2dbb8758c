import { EventSubjects, type IngestRatesEvent } from '@clarion/contracts';
import pino from 'pino';
import { IngestRatesReporter } from './ingest-rates.reporter';

describe('IngestRatesReporter', () => {
  const logger = pino({ level: 'silent' });
  const TENANT_A = '00000000-0000-4000-8000-00000000000a';
  const TENANT_B = '00000000-0000-4000-8000-00000000000b';

  it('publishes one event per tenant with the flows committed since the last report and their rate', () => {
    const sent: Array<{ subject: string; event: IngestRatesEvent }> = [];
    const reporter = new IngestRatesReporter((subject, payload) => sent.push({ subject, event: JSON.parse(Buffer.from(payload).toString()) }), 'i-1', logger, 10_000);
    reporter.committed(TENANT_A, 300);
    reporter.committed(TENANT_B, 50);
    reporter.committed(TENANT_A, 200);
    reporter.report(15_000);
    expect(sent.map((s) => s.subject)).toEqual([EventSubjects.ingestRates, EventSubjects.ingestRates]);
    const a = sent.find((s) => s.event.tenantId === TENANT_A)?.event;
    expect(a).toMatchObject({ flows: 500, flowsPerSecond: 100, intervalSeconds: 5, instanceId: 'i-1', at: new Date(15_000).toISOString() });
    expect(sent.find((s) => s.event.tenantId === TENANT_B)?.event.flows).toBe(50);
  });

  it('says nothing for a quiet interval and starts each interval from zero', () => {
    const sent: IngestRatesEvent[] = [];
    const reporter = new IngestRatesReporter((_s, payload) => sent.push(JSON.parse(Buffer.from(payload).toString())), 'i-1', logger, 0);
    reporter.committed(TENANT_A, 10);
    reporter.report(1_000);
    reporter.report(2_000);
    reporter.committed(TENANT_A, 4);
    reporter.report(4_000);
    expect(sent.map((e) => [e.flows, e.flowsPerSecond])).toEqual([
      [10, 10],
      [4, 2],
    ]);
  });

  it('survives a publish that throws (NATS closed) and drops only that report', () => {
    let fail = true;
    const sent: IngestRatesEvent[] = [];
    const reporter = new IngestRatesReporter(
      (_s, payload) => {
        if (fail) throw new Error('connection closed');
        sent.push(JSON.parse(Buffer.from(payload).toString()));
      },
      'i-1',
      logger,
      0,
    );
    reporter.committed(TENANT_A, 10);
    expect(reporter.report(1_000)).toEqual([]);
    fail = false;
    reporter.committed(TENANT_A, 3);
    expect(reporter.report(2_000).map((e) => e.flows)).toEqual([3]);
    expect(sent).toHaveLength(1);
  });
});
