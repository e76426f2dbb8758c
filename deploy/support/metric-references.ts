/**
 * What the code registers as Prometheus metrics, and which series and labels a PromQL expression selects: shared by
 * deploy/prometheus/alerts.spec.ts and deploy/grafana/dashboards.spec.ts, so that renaming a metric or a label breaks
 * a test instead of silently disarming an alert or emptying a dashboard panel.
 *
 * Registered metrics come from two places: the prom-client constructors in apps/ and libs/ (their `name` and
 * `labelNames`, read from the source), and the metrics ServiceMetrics itself registers, prom-client's default metrics
 * with the platform's prefix included (read from a real registry).
 */
import { ServiceMetrics } from '@clarion/observability';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { repoPath } from './deploy-files';

// ---------------------------------------------------------------------------------------------------------------
// What the code registers

export interface RegisteredMetric {
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

export function sourceFiles(dir: string): string[] {
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
export function metricsDeclaredIn(files: string[]): Map<string, RegisteredMetric> {
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
export async function serviceMetricsRegistered(): Promise<Map<string, RegisteredMetric>> {
  const { registry } = new ServiceMetrics('metric-references');
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

export interface Selector {
  metric: string;
  labels: string[];
}

export interface ExpressionRefs {
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
export function expressionRefs(expr: string): ExpressionRefs {
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

/** Each series name the code registers (sources and ServiceMetrics) mapped to its metric, with the series Prometheus writes itself for every target. */
export async function registeredSeries(): Promise<Map<string, RegisteredMetric>> {
  const files = [...sourceFiles(repoPath('apps')), ...sourceFiles(repoPath('libs'))];
  const registered = new Map([...metricsDeclaredIn(files), ...(await serviceMetricsRegistered())]);
  const bySeries = new Map([...registered.values()].flatMap((metric) => metric.series.map((s) => [s, metric] as const)));
  for (const s of ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']) {
    bySeries.set(s, { series: [s], labels: [], where: 'Prometheus (per scrape target)' });
  }
  return bySeries;
}

/**
 * Labels every scraped Clarion series carries: the registry's default `service`, Prometheus's `job` and `instance`,
 * and the target labels of the `clarion` job in deploy/prometheus/prometheus.yml.
 */
export function scrapeTargetLabels(): string[] {
  const scrape = parse(readFileSync(repoPath('deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ job_name: string; static_configs?: Array<{ labels?: Record<string, string> }> }>;
  };
  const clarion = scrape.scrape_configs.find((c) => c.job_name === 'clarion');
  return ['job', 'instance', 'service', ...(clarion?.static_configs ?? []).flatMap((c) => Object.keys(c.labels ?? {}))];
}

/**
 * What is wrong with an expression's references: a metric no code registers, a label its metric does not carry (the
 * target labels every scraped series has are allowed), a grouping by a label none of its series carries.
 */
export function selectorProblems(expr: string, bySeries: Map<string, RegisteredMetric>, targetLabels: readonly string[]): string[] {
  const refs = expressionRefs(expr);
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
  return problems;
}
