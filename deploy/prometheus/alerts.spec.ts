/**
 * The alert rules run in `npm test`: promtool checks deploy/prometheus/alerts.yml and runs its unit tests
 * (alerts.test.yml), and every series an alert selects is checked against what the code registers, so renaming a
 * metric or one of its labels breaks this test instead of silently disarming an alert.
 *
 * Registered metrics come from two places: the prom-client constructors in apps/ and libs/ (their `name` and
 * `labelNames`, read from the source), and the metrics ServiceMetrics itself registers, prom-client's default metrics
 * with the platform's prefix included (read from a real registry).
 */
import { SERVICE_NAMES } from '@clarion/contracts';
import { ServiceMetrics } from '@clarion/observability';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { imageEnv, readDockerfile, repoPath } from '../support/deploy-files';

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
// What the code registers

interface RegisteredMetric {
  /** Series names the metric exposes (a histogram's _bucket, _sum and _count). */
  series: string[];
  labels: string[];
  where: string;
}

const SERIES_SUFFIXES: Record<string, string[]> = {
  Counter: [''],
  Gauge: [''],
  Histogram: ['_bucket', '_sum', '_count'],
  Summary: ['', '_sum', '_count'],
};
const IMPLICIT_LABELS: Record<string, string[]> = { Counter: [], Gauge: [], Histogram: ['le'], Summary: ['quantile'] };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return /\.ts$/.test(entry.name) && !/[.-]spec\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** The text of the object literal starting at `open` (a `{`), strings and nested braces skipped. */
function objectLiteralAt(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(open, i + 1);
  }
  throw new Error(`unbalanced braces from offset ${open}`);
}

/** `new Counter({ name: 'x', labelNames: ['a'] ... })` and the like in the services' and libraries' sources. */
function metricsDeclaredIn(files: string[]): Map<string, RegisteredMetric> {
  const found = new Map<string, RegisteredMetric>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new\s+(Counter|Gauge|Histogram|Summary)\s*(?:<[^>]*>)?\s*\(\s*\{/g)) {
      const literal = objectLiteralAt(text, (m.index ?? 0) + m[0].length - 1);
      const name = /\bname:\s*'([^']+)'/.exec(literal)?.[1];
      if (!name) continue;
      const labelList = /\blabelNames:\s*\[([^\]]*)\]/.exec(literal)?.[1] ?? '';
      const labels = [...labelList.matchAll(/'([^']+)'/g)].map((l) => l[1]);
      const type = m[1];
      found.set(name, {
        series: SERIES_SUFFIXES[type].map((suffix) => name + suffix),
        labels: [...labels, ...IMPLICIT_LABELS[type]],
        where: relative(repoPath(), file),
      });
    }
  }
  return found;
}

/** What ServiceMetrics registers on every service's registry, prom-client's default metrics included. */
async function serviceMetricsRegistered(): Promise<Map<string, RegisteredMetric>> {
  const { registry } = new ServiceMetrics('alerts-spec');
  const found = new Map<string, RegisteredMetric>();
  for (const metric of await registry.getMetricsAsJSON()) {
    const type = { counter: 'Counter', gauge: 'Gauge', histogram: 'Histogram', summary: 'Summary' }[String(metric.type)] ?? 'Gauge';
    const labelNames = (registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] }).labelNames ?? [];
    found.set(metric.name, {
      series: SERIES_SUFFIXES[type].map((suffix) => metric.name + suffix),
      labels: [...labelNames, ...IMPLICIT_LABELS[type]],
      where: 'libs/observability ServiceMetrics',
    });
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// What the rules select

interface Selector {
  metric: string;
  labels: string[];
}

interface ExpressionRefs {
  selectors: Selector[];
  /** Labels named in by/without/on/ignoring/group_left/group_right lists. */
  grouping: string[];
}

const GROUPING_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'atan2', 'inf', 'nan', 'Inf', 'NaN']);

/**
 * Metric selectors and grouping labels of a PromQL expression. A small tokenizer, not a parser: it only needs to tell a
 * metric name from function and aggregation names (followed by `(`, or by `by`/`without`), keywords, durations and
 * strings.
 */
function expressionRefs(expr: string): ExpressionRefs {
  const token = /\s+|#[^\n]*|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|\[[^\]]*\]|\d[\w.]*|[a-zA-Z_:][\w:]*|!=|=~|!~|[^\s]/gy;
  const tokens = [...expr.matchAll(token)].map((t) => t[0]).filter((t) => !/^\s|^#/.test(t));
  const refs: ExpressionRefs = { selectors: [], grouping: [] };
  const isName = (t: string | undefined) => t !== undefined && /^[a-zA-Z_:][\w:]*$/.test(t);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (GROUPING_KEYWORDS.has(t) && tokens[i + 1] === '(') {
      for (i += 2; i < tokens.length && tokens[i] !== ')'; i++) if (isName(tokens[i])) refs.grouping.push(tokens[i]);
    } else if (t === '{') {
      throw new Error(`a selector without a metric name in: ${expr}`);
    } else if (isName(t) && tokens[i + 1] !== '(' && !KEYWORDS.has(t) && !['by', 'without'].includes(tokens[i + 1])) {
      const selector: Selector = { metric: t, labels: [] };
      if (tokens[i + 1] === '{') {
        for (i += 2; i < tokens.length && tokens[i] !== '}'; i++) {
          if (isName(tokens[i]) && ['=', '!=', '=~', '!~'].includes(tokens[i + 1])) selector.labels.push(tokens[i]);
        }
      }
      refs.selectors.push(selector);
    }
  }
  return refs;
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
  let registered: Map<string, RegisteredMetric>;
  /** Series name -> the metric behind it. */
  let bySeries: Map<string, RegisteredMetric>;
  /** Labels every scraped series carries: the registry's default `service`, and the scrape's job, instance and target labels. */
  let targetLabels: string[];

  beforeAll(async () => {
    const files = [...sourceFiles(repoPath('apps')), ...sourceFiles(repoPath('libs'))];
    registered = new Map([...metricsDeclaredIn(files), ...(await serviceMetricsRegistered())]);
    targetLabels = ['job', 'instance', 'service', ...(clarionJob?.static_configs ?? []).flatMap((c) => Object.keys(c.labels ?? {}))];
    bySeries = new Map([...registered.values()].flatMap((metric) => metric.series.map((s) => [s, metric] as const)));
    // Series Prometheus writes itself for every target.
    for (const s of ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']) {
      bySeries.set(s, { series: [s], labels: [], where: 'Prometheus (per scrape target)' });
    }
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
    const refs = expressionRefs(rule.expr);
    expect(refs.selectors.length).toBeGreaterThan(0);
    const problems: string[] = [];
    const known = new Set<string>(targetLabels);
    for (const { metric, labels } of refs.selectors) {
      const found = bySeries.get(metric);
      if (!found) {
        problems.push(`${metric} is not registered anywhere in apps/ or libs/ (no name: '${metric}' and not a ServiceMetrics default metric)`);
        continue;
      }
      for (const label of found.labels) known.add(label);
      for (const label of labels) {
        if (!found.labels.includes(label) && !targetLabels.includes(label)) {
          problems.push(`${metric}{${label}=...}: ${found.where} declares no label ${label} (it has: ${found.labels.join(', ') || 'none'})`);
        }
      }
    }
    for (const label of refs.grouping) {
      if (!known.has(label)) problems.push(`groups by ${label}, which none of the series it selects carries`);
    }
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
