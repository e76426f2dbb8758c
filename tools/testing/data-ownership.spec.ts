import { SERVICE_TABLE_GRANTS } from '../../libs/persistence/src/lib/service-table-grants';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * Each service owns its tables, and the tree shows it (issue 12): a service's repositories live in
 * apps/<service>/src/data (Nx keeps one app from importing another's), only the tables every service shares
 * (tenants, feature flags) keep theirs in libs/persistence, and the SQL of a service's repositories names only tables
 * its database role is granted (migration 1764900000000-service-roles and the grants added after it).
 */
const ROOT = resolve(__dirname, '..', '..');
const SHARED_REPOSITORIES = ['libs/persistence/src/repositories/feature-flag.repository.ts', 'libs/persistence/src/repositories/tenant.repository.ts'];

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) filesUnder(path, out);
    else out.push(relative(ROOT, path));
  }
  return out;
}

/** Every table some service role is granted: the schema's tables a repository could name. */
const SCHEMA_TABLES = new Set(Object.values(SERVICE_TABLE_GRANTS).flatMap((grants) => Object.keys(grants)));

/**
 * The schema tables a repository's SQL reads or writes (a word after FROM, INTO, UPDATE or JOIN that is a table of
 * the schema: CTE names, aliases, columns of EXTRACT(... FROM x) are not), and the functions it calls.
 */
export function tablesNamedIn(source: string, schema: ReadonlySet<string> = SCHEMA_TABLES): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/\b(?:FROM|INTO|UPDATE|JOIN)\s+(?:ONLY\s+)?(?:public\.)?([a-z_][a-z0-9_]*)\b/gi)) {
    const name = match[1]!.toLowerCase();
    if (schema.has(name) || /^flows_/.test(name)) names.add(name);
  }
  return [...names].sort();
}

const functionsCalledIn = (source: string): string[] => [...new Set([...source.matchAll(/\b(clarion_[a-z_]+)\(/g)].map((m) => m[1]!))];

const repositories = [...filesUnder(join(ROOT, 'apps')), ...filesUnder(join(ROOT, 'libs'))].filter((file) => file.endsWith('.repository.ts'));

describe('each service owns its tables', () => {
  it("keeps every service's repositories in that service, and only the shared ones in libs/persistence", () => {
    const misplaced = repositories.filter((file) => !/^apps\/[a-z]+\/src\/data\/[a-z-]+\.repository\.ts$/.test(file) && !SHARED_REPOSITORIES.includes(file));
    expect(misplaced).toEqual([]);
    expect(repositories.filter((file) => file.startsWith('apps/auth/src/data/')).length).toBeGreaterThan(3);
    expect(repositories.filter((file) => file.startsWith('apps/clustering/src/data/')).length).toBeGreaterThan(3);
  });

  it.each(repositories.filter((file) => file.startsWith('apps/')).map((file) => [file] as const))('%s names only tables its service may use', (file) => {
    const service = file.split('/')[1]!;
    const granted = Object.keys(SERVICE_TABLE_GRANTS[`clarion_${service}`] ?? {});
    const source = readFileSync(join(ROOT, file), 'utf8');
    const tables = tablesNamedIn(source);
    expect(tables.length + functionsCalledIn(source).length).toBeGreaterThan(0);
    // Flow day partitions (flows_YYYYMMDD) and the default partition are reached through flows' grants.
    expect(tables.filter((table) => !granted.includes(table) && !(granted.includes('flows') && /^flows_/.test(table)))).toEqual([]);
  });

  it('finds the tables of a statement, and would catch a repository reaching into another service', () => {
    expect(tablesNamedIn('SELECT a FROM users u JOIN public.sessions s ON s.user_id = u.id')).toEqual(['sessions', 'users']);
    expect(tablesNamedIn('insert into signing_keys (kid) VALUES ($1)')).toEqual(['signing_keys']);
    expect(tablesNamedIn('WITH gone AS (DELETE FROM clustering_batches RETURNING 1) SELECT count(*) FROM gone, extract(epoch FROM created_at)')).toEqual(['clustering_batches']);
    expect(functionsCalledIn('SELECT clarion_tenant_of_session($1) AS t')).toEqual(['clarion_tenant_of_session']);
    const clustering = Object.keys(SERVICE_TABLE_GRANTS['clarion_clustering'] ?? {});
    expect(clustering).not.toContain('signing_keys');
  });
});
