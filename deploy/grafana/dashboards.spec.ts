/**
 * The provisioned Grafana dashboards: laid out on Grafana's 24-column grid without overlaps, every data source and
 * variable they use provisioned or defined, and every PromQL expression selecting only series and labels the code
 * registers (deploy/support/metric-references.ts), so a renamed metric breaks this test instead of emptying a panel.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoPath } from '../support/deploy-files';
import { expressionRefs, registeredSeries, scrapeTargetLabels, selectorProblems, type RegisteredMetric } from '../support/metric-references';

interface GridPos {
  h: unknown;
  w: unknown;
  x: unknown;
  y: unknown;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos;
  datasource?: { uid?: string };
  targets?: Array<{ expr?: string; refId?: string; datasource?: { uid?: string } }>;
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list: Array<{ name: string }> };
}

const DASHBOARD_DIR = repoPath('deploy', 'grafana', 'dashboards');
const dashboards = readdirSync(DASHBOARD_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as Dashboard }));
const datasourceUids = (
  parse(readFileSync(repoPath('deploy', 'grafana', 'provisioning', 'datasources', 'clarion.yml'), 'utf8')) as { datasources: Array<{ uid: string }> }
).datasources.map((d) => d.uid);
const BUILT_IN_VARIABLES = ['__rate_interval', '__interval', '__range', '__interval_ms', '__range_s'];

const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const isInt = (v: unknown): v is number => Number.isInteger(v);

describe.each(dashboards)('dashboard $file', ({ dashboard }) => {
  const panels = allPanels(dashboard.panels);
  const withQueries = panels.filter((p) => (p.targets ?? []).length > 0);

  it('has a uid, a title and unique panel ids', () => {
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.title.trim()).not.toBe('');
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('places every panel on the 24-column grid, none overlapping another', () => {
    const problems: string[] = [];
    for (const p of panels) {
      const { h, w, x, y } = p.gridPos ?? ({} as GridPos);
      if (!isInt(h) || !isInt(w) || !isInt(x) || !isInt(y)) problems.push(`${p.title}: gridPos ${JSON.stringify(p.gridPos)} is not four integers`);
      else if (x < 0 || y < 0 || h < 1 || w < 1 || x + w > 24) problems.push(`${p.title}: gridPos ${JSON.stringify(p.gridPos)} is off the grid`);
    }
    const placed = panels.filter((p) => [p.gridPos?.h, p.gridPos?.w, p.gridPos?.x, p.gridPos?.y].every(isInt)) as Array<Panel & { gridPos: { h: number; w: number; x: number; y: number } }>;
    for (let i = 0; i < placed.length; i++) {
      for (let j = i + 1; j < placed.length; j++) {
        const a = placed[i].gridPos;
        const b = placed[j].gridPos;
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) problems.push(`${placed[i].title} overlaps ${placed[j].title}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('uses only provisioned data sources and defined variables', () => {
    const variables = [...(dashboard.templating?.list ?? []).map((v) => v.name), ...BUILT_IN_VARIABLES];
    const problems: string[] = [];
    for (const p of withQueries) {
      for (const uid of [p.datasource?.uid, ...(p.targets ?? []).map((t) => t.datasource?.uid)]) {
        if (uid !== undefined && !datasourceUids.includes(uid)) problems.push(`${p.title}: data source ${uid} is not provisioned`);
      }
      for (const t of p.targets ?? []) {
        for (const m of (t.expr ?? '').matchAll(/\$\{?(\w+)/g)) if (!variables.includes(m[1])) problems.push(`${p.title} ${t.refId}: $${m[1]} is not defined`);
      }
    }
    expect(problems).toEqual([]);
  });

  describe('queries', () => {
    let bySeries: Map<string, RegisteredMetric>;
    beforeAll(async () => {
      bySeries = await registeredSeries();
    });

    it.each(withQueries.map((p) => [p.title, p] as const))('%s selects only registered series and labels', (_title, panel) => {
      const problems = (panel.targets ?? []).flatMap((t) => {
        if (t.expr === undefined) return [`${t.refId}: no expression`];
        if (expressionRefs(t.expr).selectors.length === 0) return [`${t.refId}: selects no series`];
        return selectorProblems(t.expr, bySeries, scrapeTargetLabels()).map((problem) => `${t.refId}: ${problem}`);
      });
      expect(problems).toEqual([]);
    });
  });
});
