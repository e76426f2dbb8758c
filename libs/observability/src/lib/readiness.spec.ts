import { Readiness } from './readiness';

describe('Readiness', () => {
  it('is ready when every probe answers', async () => {
    const readiness = new Readiness(100);
    readiness.register({ name: 'postgres', check: async () => undefined });
    readiness.register({ name: 'redis', check: async () => undefined });
    const report = await readiness.report();
    expect(report.status).toBe('ready');
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['postgres', 'up'],
      ['redis', 'up'],
    ]);
  });

  it('names a failing probe and keeps its error', async () => {
    const failures: string[] = [];
    const readiness = new Readiness(100, (n) => failures.push(n));
    readiness.register({ name: 'postgres', check: async () => undefined });
    readiness.register({ name: 'nats', check: async () => Promise.reject(new Error('connection refused')) });
    const report = await readiness.report();
    expect(report.status).toBe('not_ready');
    expect(report.checks.find((c) => c.name === 'nats')).toMatchObject({ status: 'down', error: 'connection refused' });
    expect(failures).toEqual(['nats']);
  });

  it('bounds a hung probe by the timeout instead of hanging', async () => {
    const readiness = new Readiness(50);
    readiness.register({ name: 'redis', check: () => new Promise(() => undefined) });
    const started = Date.now();
    const report = await readiness.report();
    expect(Date.now() - started).toBeLessThan(500);
    expect(report.checks[0]).toMatchObject({ name: 'redis', status: 'down', error: expect.stringContaining('50 ms') });
  });
});
