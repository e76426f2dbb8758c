import { IPFIX_SGT_FIELDS, V9_SGT_FIELDS } from './export-encoder';
import { OptionsError, parseSimulatorArgs, parseStart, type SimulatorOptions } from './simulator-options';

const NOW = Date.parse('2024-03-05T12:00:00Z');

function options(args: string[]): SimulatorOptions {
  const parsed = parseSimulatorArgs(args, NOW);
  if (parsed.command !== 'run') throw new Error(`expected a run, got ${parsed.command}`);
  return parsed.options;
}

function problems(args: string[]): string[] {
  try {
    parseSimulatorArgs(args, NOW);
  } catch (err) {
    if (err instanceof OptionsError) return err.problems;
    throw err;
  }
  throw new Error('expected an OptionsError');
}

describe('parseSimulatorArgs', () => {
  it('defaults to a gentle, unbounded demo feed of a local ingest', () => {
    const o = options([]);
    expect(o).toEqual(
      expect.objectContaining({
        targetHost: '127.0.0.1',
        targetPort: 2055,
        version: 9,
        exporters: 1,
        endpoints: 300,
        dayMinutes: 60,
        rate: 1000,
        flows: null,
        durationS: null,
        simDays: null,
        truthPath: 'tmp/simulator-truth.jsonl',
        sgtFields: V9_SGT_FIELDS,
        allowFuture: false,
      }),
    );
    // The default start replays the last 24 hours.
    expect(o.startMs).toBe(NOW - 86_400_000);
  });

  it('reads every flag', () => {
    const o = options([
      '--target', '[::1]:4739', '--protocol', 'ipfix', '--exporters', '4', '--observation-domain', '7', '--bind', '127.0.0.2, 127.0.0.3',
      '--seed', '9', '--endpoints', '5000', '--mix', 'printer=10,guest-device=0', '--noise', '0.1', '--sgt-share', '0.25',
      '--ipv6-share', '0.2', '--day-minutes', '0', '--start', '2024-01-01T00:00:00Z', '--utc-offset', '-300', '--rate', '0',
      '--flows', '20000', '--duration', '30', '--sim-days', '7', '--truth', 'none', '--log', 'json', '--allow-future',
      '--active-timeout-s', '60', '--max-packet-bytes', '1200', '--template-refresh-s', '10', '--template-refresh-packets', '0',
    ]);
    expect(o).toEqual({
      targetHost: '::1', targetPort: 4739, version: 10, exporters: 4, observationDomain: 7, bind: ['127.0.0.2', '127.0.0.3'],
      maxPacketBytes: 1200, templateRefreshS: 10, templateRefreshPackets: 0, activeTimeoutS: 60, seed: 9, endpoints: 5000,
      mix: { printer: 10, 'guest-device': 0 }, noise: 0.1, sgtShare: 0.25, sgtFields: IPFIX_SGT_FIELDS, ipv6Share: 0.2,
      truthPath: null, startMs: Date.UTC(2024, 0, 1), dayMinutes: 0, allowFuture: true, utcOffsetMinutes: -300, rate: 0,
      flows: 20000, durationS: 30, simDays: 7, statsIntervalS: 5, log: 'json',
    });
  });

  it('reports every bad flag at once', () => {
    expect(problems(['--target', 'nowhere', '--protocol', 'v5', '--noise', '2', '--mix', 'toaster=3', '--flows', '0', '--start', 'yesterday'])).toEqual([
      '--target must be HOST:PORT (got "nowhere")',
      '--protocol must be v9 or ipfix (got "v5")',
      expect.stringContaining('--start must be'),
      expect.stringContaining('--mix: unknown role "toaster"'),
      '--noise must be a share from 0 to 1 (got "2")',
      '--flows must be an integer >= 1 (got "0")',
    ]);
    expect(problems(['--unknown'])[0]).toContain("Unknown option '--unknown'");
    expect(problems(['--protocol', 'ipfix', '--sgt-fields', '34000,34001'])[0]).toContain('--sgt-fields');
  });

  it('takes TrustSec element ids with an enterprise number', () => {
    expect(options(['--protocol', 'ipfix', '--sgt-fields', '9:1232,9:1233']).sgtFields).toEqual(IPFIX_SGT_FIELDS);
    expect(options(['--sgt-fields', '45000,45001']).sgtFields).toEqual({ source: { id: 45000, enterprise: 0 }, destination: { id: 45001, enterprise: 0 } });
  });

  it('answers --help and --roles without running', () => {
    expect(parseSimulatorArgs(['--help'], NOW)).toEqual({ command: 'help' });
    expect(parseSimulatorArgs(['--roles'], NOW)).toEqual({ command: 'roles' });
  });

  it('takes negative values and relative times after their flag', () => {
    expect(options(['--start', '-2h', '--utc-offset', '-60']).startMs).toBe(NOW - 2 * 3_600_000);
    expect(options(['--utc-offset', '-60']).utcOffsetMinutes).toBe(-60);
    expect(options(['--start=-30m']).startMs).toBe(NOW - 30 * 60_000);
  });
});

describe('parseStart', () => {
  it('reads ISO dates, now, and times relative to now', () => {
    expect(parseStart('now', NOW)).toBe(NOW);
    expect(parseStart('-90m', NOW)).toBe(NOW - 90 * 60_000);
    expect(parseStart('-7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseStart('2024-01-01T08:00:00+01:00', NOW)).toBe(Date.UTC(2024, 0, 1, 7));
    expect(parseStart('soon', NOW)).toBeNull();
  });
});
