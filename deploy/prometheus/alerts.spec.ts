/**
 * The alert rules run in `npm test`: promtool checks deploy/prometheus/alerts.yml and runs its unit tests
 * (alerts.test.yml), and every series an alert selects is checked against what the code registers
 * (deploy/support/metric-references.ts), so renaming a metric or one of its labels breaks this test instead of
 * silently disarming an alert.
 */
import { SERVICE_NAMES } from '@clarion/contracts';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { imageEnv, readDockerfile, repoPath } from '../support/deploy-files';
import {
  expressionRefs,
  metricsDeclaredIn,
  registeredSeries,
  scrapeTargetLabels,
  selectorProblems,
  serviceMetricsRegistered,
  type RegisteredMetric,
} from '../support/metric-references';

const PROMETHEUS_DIR = repoPath('deploy', 'prometheus');
const SEVERITIES = ['critical', 'warning', 'info'];

// ---------------------------------------------------------------------------------------------------------------
// promtool

function promtool(...args: string[]): { status: number; output: string } {
  const run = spawnSync('promtool', args, { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      'promtool is not installed, so the alert rules cannot be checked. Install the Debian package `prometheus` ' +
        '(apt-get install --no-install-recommends prometheus); `npm test` installs it through tools/dev/test.sh.',
    );
  }
  if (run.error) throw run.error;
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}

function expectPromtoolSuccess(...args: string[]): void {
  const { status, output } = promtool(...args);
  if (status !== 0) throw new Error(`promtool ${args.join(' ')} exited ${status}:\n${output}`);
}

// ---------------------------------------------------------------------------------------------------------------

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: Array<{ name: string; rules: AlertRule[] }>;
}

interface RuleTestFile {
  rule_files: string[];
  tests: Array<{ name: string; alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
}

interface ScrapeConfig {
  job_name: string;
  static_configs?: Array<{ targets: string[]; labels?: Record<string, string> }>;
}

const rules = (parse(readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);
const alerts = rules.filter((r): r is AlertRule & { alert: string } => r.alert !== undefined);
const scrape = parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as { rule_files: string[]; scrape_configs: ScrapeConfig[] };
const clarionJob = scrape.scrape_configs.find((c) => c.job_name === 'clarion');

describe('alerts.yml under promtool', () => {
  it('passes promtool check rules', () => {
    expectPromtoolSuccess('check', 'rules', 'alerts.yml');
  });

  it('passes its unit tests (promtool test rules alerts.test.yml)', () => {
    expectPromtoolSuccess('test', 'rules', 'alerts.test.yml');
  });
});

describe('alerts.yml against the metrics the code registers', () => {
  /** Series name -> the metric behind it. */
  let bySeries: Map<string, RegisteredMetric>;
  const targetLabels = scrapeTargetLabels();

  beforeAll(async () => {
    bySeries = await registeredSeries();
  });

  it('reads the metric declarations of the sources the way prom-client registers them', async () => {
    // The source reader checked against a real registry: every metric ServiceMetrics declares in its own file.
    const fromSource = metricsDeclaredIn([repoPath('libs', 'observability', 'src', 'lib', 'metrics.ts')]);
    const fromRegistry = await serviceMetricsRegistered();
    expect(fromSource.size).toBeGreaterThan(0);
    for (const [name, metric] of fromSource) {
      expect({ name, series: metric.series, labels: [...metric.labels].sort() }).toEqual({
        name,
        series: fromRegistry.get(name)?.series,
        labels: [...(fromRegistry.get(name)?.labels ?? [])].sort(),
      });
    }
  });

  it.each(rules.map((r) => [r.alert ?? r.record ?? '?', r] as const))('%s selects only registered series and labels', (_name, rule) => {
    expect(expressionRefs(rule.expr).selectors.length).toBeGreaterThan(0);
    const problems = selectorProblems(rule.expr, bySeries, targetLabels);
    expect(problems).toEqual([]);
  });

  it('gives every alert a severity and an on-call summary and description', () => {
    const problems = alerts.flatMap((a) => [
      ...(SEVERITIES.includes(a.labels?.severity ?? '') ? [] : [`${a.alert}: severity must be one of ${SEVERITIES.join(', ')}`]),
      ...(a.annotations?.summary?.trim() ? [] : [`${a.alert}: no summary`]),
      ...(a.annotations?.description?.trim() ? [] : [`${a.alert}: no description`]),
    ]);
    expect(problems).toEqual([]);
  });
});

describe('alerts.test.yml', () => {
  const testFile = parse(readFileSync(join(PROMETHEUS_DIR, 'alerts.test.yml'), 'utf8')) as RuleTestFile;
  const evaluations = testFile.tests.flatMap((t) => t.alert_rule_test ?? []);

  it('tests alerts.yml', () => {
    expect(testFile.rule_files).toEqual(['alerts.yml']);
  });

  it.each(alerts.map((a) => a.alert))('has %s both firing and quiet', (alert) => {
    const of = evaluations.filter((e) => e.alertname === alert);
    expect({ alert, firing: of.some((e) => (e.exp_alerts ?? []).length > 0), quiet: of.some((e) => (e.exp_alerts ?? []).length === 0) }).toEqual({
      alert,
      firing: true,
      quiet: true,
    });
  });
});

describe('prometheus.yml', () => {
  const { stages } = readDockerfile();

  it('evaluates alerts.yml', () => {
    expect(scrape.rule_files).toContain('alerts.yml');
  });

  it.each(SERVICE_NAMES)("scrapes %s on the ops port its image sets, labelled with its name", (service) => {
    const targets = (clarionJob?.static_configs ?? []).filter((c) => c.labels?.service === service).flatMap((c) => c.targets);
    expect(targets).toEqual([`${service}:${imageEnv(stages, service).OPS_PORT}`]);
  });
});
