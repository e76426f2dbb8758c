import { TestInfra } from '@clarion/testing';
import { randomUUID } from 'node:crypto';
import { Client, DatabaseError } from 'pg';

/**
 * What each database role may do, tried for real (issue 12, item 3): every role connects and runs SELECT, INSERT,
 * UPDATE, DELETE and TRUNCATE on every table of the schema, and calls every SECURITY DEFINER function, each in a
 * savepoint that is rolled back. An attempt is refused when PostgreSQL answers `permission denied`; anything else
 * (success, a constraint, a foreign key) means the privilege was there. The outcome must equal the matrix below, so
 * a grant added or taken away anywhere (a migration, an operator) fails this test until the matrix says so, and a
 * table or definer function nobody wrote a row for fails it too.
 *
 * The statements touch no row (`WHERE false`, an INSERT of no rows), so no row-level security check, trigger or
 * constraint decides the outcome; only TRUNCATE acts on rows, and nobody may run it.
 */

const ROLES = ['clarion_gateway', 'clarion_auth', 'clarion_ingest', 'clarion_clustering', 'clarion_retention', 'clarion_app'] as const;
type Role = (typeof ROLES)[number];

const OPERATIONS = { s: 'SELECT', i: 'INSERT', u: 'UPDATE', d: 'DELETE', t: 'TRUNCATE' } as const;
type Letter = keyof typeof OPERATIONS;

/** Stands for every day partition of `flows` (flows_pYYYYMMDD), which the partition function grants. */
const DAY_PARTITION = 'flows_pYYYYMMDD';

/**
 * The grants of migrations 1764000000000-1765100000000, one column per role: s SELECT, i INSERT, u UPDATE,
 * d DELETE, t TRUNCATE, - nothing. clarion_app is the role the services shared before; it keeps its grants except
 * writing signing keys.
 */
const TABLES = `
  table                 gateway  auth  ingest  clustering  retention  app
  tenants               -        siu   s       s           s          siu
  feature_flags         siu      s     -       -           -          siud
  users                 -        siu   -       -           -          siud
  sessions              -        siu   -       -           -          siud
  refresh_tokens        -        siu   -       -           -          siud
  api_keys              -        siu   -       -           -          siud
  signing_keys          -        siu   -       -           -          s
  audit_events          -        si    -       -           -          si
  audit_chain_heads     -        siu   -       -           -          siu
  sso_configs           -        siu   -       -           -          siud
  flows                 -        -     s       -           s          s
  flows_default         -        -     i       -           -          i
  flows_pYYYYMMDD       -        -     i       -           -          i
  flow_batches          -        -     sid     -           -          sid
  exporters             -        -     siud    -           -          siud
  netflow_templates     -        -     sid     -           -          siud
  endpoint_profiles     -        -     -       siud        -          siud
  clustering_batches    -        -     -       sid         -          siud
  endpoint_edges        -        -     -       siud        -          siud
  clustering_jobs       -        -     -       siu         -          siud
  cluster_models        -        -     -       siu         -          siud
  clusters              -        -     -       siu         -          siud
  sgts                  -        -     -       siud        -          siud
  endpoint_memberships  -        -     -       siud        -          siud
  membership_history    -        -     -       si          -          si
  endpoint_identities   -        -     -       siu         -          siud
  sites                 -        -     -       siud        -          siud
  address_spaces        -        -     -       siud        -          siud
  subnets               -        -     -       siud        -          siud
  router_interfaces     -        -     -       siu         -          siud
  endpoint_removals     -        -     -       s           -          s
  migrations            -        -     -       -           -          -
`;

/** EXECUTE on the SECURITY DEFINER functions (x may call), with the harmless call tried. */
const FUNCTIONS = `
  function                       gateway  auth  ingest  clustering  retention  app
  clarion_tenant_of_session      -        x     -       -           -          x
  clarion_tenant_of_api_key      -        x     -       -           -          x
  clarion_ensure_flow_partition  -        -     x       -           -          x
  clarion_expire_flows           -        -     -       -           x          x
  clarion_exporter_registrations -        -     x       -           -          x
`;

/** An existing day (the fixture partition below), nothing before 1970, nobody's session or key. */
const FUNCTION_CALLS: Record<string, string> = {
  clarion_tenant_of_session: `SELECT public.clarion_tenant_of_session('00000000-0000-0000-0000-000000000000')`,
  clarion_tenant_of_api_key: `SELECT public.clarion_tenant_of_api_key('nosuchkey')`,
  clarion_ensure_flow_partition: `SELECT public.clarion_ensure_flow_partition(DATE '2000-01-02')`,
  clarion_expire_flows: `SELECT * FROM public.clarion_expire_flows(DATE '1970-01-02')`,
  clarion_exporter_registrations: `SELECT * FROM public.clarion_exporter_registrations('192.0.2.255')`,
};
const FIXTURE_PARTITION = 'flows_p20000102';

function parseMatrix(text: string): Map<string, Map<Role, string>> {
  const [header, ...rows] = text.trim().split('\n').map((line) => line.trim().split(/\s+/));
  expect(header.slice(1)).toEqual(ROLES.map((r) => r.replace('clarion_', '')));
  return new Map(rows.map(([name, ...cells]) => [name, new Map(ROLES.map((role, i) => [role, cells[i] === '-' ? '' : cells[i]]))]));
}

const tableMatrix = parseMatrix(TABLES);
const functionMatrix = parseMatrix(FUNCTIONS);

/** The statement that needs exactly `operation` on `table`; `column` is one the role may set to NULL in no row. */
function statement(operation: Letter, table: string, column: string): string {
  const t = `public.${table}`;
  switch (operation) {
    case 's':
      return `SELECT count(*) FROM ${t} WHERE false`;
    case 'i':
      return `INSERT INTO ${t} (${column}) SELECT NULL WHERE false`;
    case 'u':
      return `UPDATE ${t} SET ${column} = NULL WHERE false`;
    case 'd':
      return `DELETE FROM ${t} WHERE false`;
    case 't':
      return `TRUNCATE ${t}`;
  }
}

interface Attempt {
  what: string;
  allowed: boolean;
  expected: boolean;
}

describe('database roles: every table and definer function against the grants matrix', () => {
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  const owner = new Client({ connectionString: TestInfra.ownerUrl });
  /** Table -> a column that is neither an identity nor generated (the target of the INSERT and UPDATE tries). */
  const columns = new Map<string, string>();
  const tally = { tried: 0, refused: 0, allowed: 0 };

  /** Runs `sql` as the connected role in a savepoint: false when PostgreSQL refuses it for want of a privilege. */
  async function tryAs(client: Client, sql: string): Promise<boolean> {
    await client.query('SAVEPOINT attempt');
    try {
      await client.query(sql);
      return true;
    } catch (err) {
      if (err instanceof DatabaseError && err.code === '42501' && /permission denied/.test(err.message)) return false;
      return true; // the privilege check passed; something after it (a foreign key, a constraint) stopped the statement
    } finally {
      await client.query('ROLLBACK TO SAVEPOINT attempt');
    }
  }

  /** Every table and function operation as `role`, compared with the matrices. */
  async function attemptsOf(role: string): Promise<Attempt[]> {
    const client = new Client({ connectionString: TestInfra.roleUrl(role) });
    await client.connect();
    const attempts: Attempt[] = [];
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [randomUUID()]);
      for (const [table, column] of columns) {
        const row = tableMatrix.get(/^flows_p\d{8}$/.test(table) ? DAY_PARTITION : table)?.get(role as Role) ?? '';
        for (const letter of Object.keys(OPERATIONS) as Letter[]) {
          const allowed = await tryAs(client, statement(letter, table, column));
          attempts.push({ what: `${OPERATIONS[letter]} ${table}`, allowed, expected: row.includes(letter) });
        }
      }
      for (const [fn, row] of functionMatrix) {
        const allowed = await tryAs(client, FUNCTION_CALLS[fn]);
        attempts.push({ what: `EXECUTE ${fn}`, allowed, expected: row.get(role as Role) === 'x' });
      }
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
    return attempts;
  }

  const mismatches = (attempts: Attempt[]): string[] =>
    attempts.filter((a) => a.allowed !== a.expected).map((a) => `${a.what}: ${a.allowed ? 'allowed' : 'refused'}, expected ${a.expected ? 'allowed' : 'refused'}`);

  beforeAll(async () => {
    await superuser.connect();
    await owner.connect();
    // A day partition made the way ingest makes them, so its grants are the function's.
    await owner.query(`SELECT public.clarion_ensure_flow_partition(DATE '2000-01-02')`);
    const { rows } = await superuser.query<{ table: string; column: string }>(
      `SELECT c.relname AS table,
              (SELECT a.attname FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = '' AND a.attgenerated = ''
                ORDER BY a.attnum LIMIT 1) AS column
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
    );
    for (const r of rows) columns.set(r.table, r.column);
  });

  afterAll(async () => {
    await superuser.query(`DROP TABLE IF EXISTS public.${FIXTURE_PARTITION}`);
    await superuser.end();
    await owner.end();
    process.stdout.write(
      `roles x tables x operations: ${tally.tried} tried, ${tally.refused} refused as expected, ${tally.allowed} allowed as expected\n`,
    );
  });

  it('has a row for every table of the schema and every SECURITY DEFINER function, and no other', async () => {
    const tables = [...columns.keys()].filter((t) => !/^flows_p\d{8}$/.test(t));
    expect(tables.sort()).toEqual([...tableMatrix.keys()].filter((t) => t !== DAY_PARTITION).sort());
    expect(columns.has(FIXTURE_PARTITION)).toBe(true);
    const { rows } = await superuser.query<{ name: string }>(
      `SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.prosecdef ORDER BY 1`,
    );
    expect(rows.map((r) => r.name).sort()).toEqual([...functionMatrix.keys()].sort());
  });

  it.each(ROLES)('%s may do exactly what the matrix says, and nothing else', async (role) => {
    const attempts = await attemptsOf(role);
    expect(mismatches(attempts)).toEqual([]);
    tally.tried += attempts.length;
    tally.allowed += attempts.filter((a) => a.allowed).length;
    tally.refused += attempts.filter((a) => !a.allowed).length;
  });

  it('notices a grant added and a grant taken away', async () => {
    await superuser.query(`GRANT DELETE ON public.users TO clarion_gateway`);
    await superuser.query(`REVOKE SELECT ON public.tenants FROM clarion_retention`);
    try {
      expect(mismatches(await attemptsOf('clarion_gateway'))).toEqual(['DELETE users: allowed, expected refused']);
      expect(mismatches(await attemptsOf('clarion_retention'))).toEqual(['SELECT tenants: refused, expected allowed']);
    } finally {
      await superuser.query(`REVOKE DELETE ON public.users FROM clarion_gateway`);
      await superuser.query(`GRANT SELECT ON public.tenants TO clarion_retention`);
    }
  });

  it.each(ROLES)('%s logs in, owns nothing, inherits no other role and cannot bypass row-level security', async (role) => {
    const { rows } = await superuser.query(
      `SELECT r.rolcanlogin AS login, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls, r.rolcreaterole AS createrole,
              r.rolcreatedb AS createdb, r.rolreplication AS replication,
              (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid) AS owns,
              (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS memberships
         FROM pg_roles r WHERE r.rolname = $1`,
      [role],
    );
    expect(rows).toEqual([{ login: true, superuser: false, bypassrls: false, createrole: false, createdb: false, replication: false, owns: 0, memberships: 0 }]);
  });

  it.each(ROLES)('%s may neither create objects in the schema nor temporary tables', async (role) => {
    const client = new Client({ connectionString: TestInfra.roleUrl(role) });
    await client.connect();
    try {
      await client.query('BEGIN');
      expect(await tryAs(client, `CREATE TABLE public.intruder (x int)`)).toBe(false);
      expect(await tryAs(client, `CREATE TEMP TABLE intruder (x int)`)).toBe(false);
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
  });

  it('binds every role to the tenant policies: each is written for PUBLIC, and row security is active for every reader', async () => {
    const { rows: policies } = await superuser.query<{ table: string; roles: string }>(
      `SELECT tablename AS table, roles::text AS roles FROM pg_policies WHERE schemaname = 'public' AND policyname = 'tenant_isolation'`,
    );
    expect(policies.length).toBeGreaterThan(20);
    expect(policies.filter((p) => p.roles !== '{public}')).toEqual([]);
    const rlsTables = policies.map((p) => p.table);
    for (const role of ROLES) {
      const client = new Client({ connectionString: TestInfra.roleUrl(role) });
      await client.connect();
      try {
        const readable = rlsTables.filter((t) => tableMatrix.get(t)?.get(role)?.includes('s'));
        const { rows } = await client.query<{ table: string; active: boolean }>(
          `SELECT t AS table, row_security_active(format('public.%I', t)) AS active FROM unnest($1::text[]) t`,
          [readable],
        );
        expect(rows.filter((r) => !r.active)).toEqual([]);
      } finally {
        await client.end();
      }
    }
  });
});
