import { ROLE_PERMISSIONS } from '@clarion/contracts';
import fc from 'fast-check';
import { randomBytes, randomUUID } from 'node:crypto';
import { apiKeyHeader, bearer, call, createAdminWithCli, login, RELAXED_LIMITS, randomClientAddress, speakFrom, startStack, type GatewayStack } from './support/gateway-stack';

/**
 * Fuzzing every operation of the served OpenAPI document (fast-check): values drawn from each schema, then broken
 * (wrong types, missing and extra fields, huge values, injection strings, bodies that are not objects). Whatever is
 * sent, the gateway never answers 5xx; injection strings in filters never widen a result.
 */

interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  allOf?: Schema[];
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '1; SELECT pg_sleep(5)',
  '" OR ""="',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '../../../../etc/passwd', // repository-boundary: an attack input sent to the API, not a path this test reads
  '%00%2e%2e%2f',
  'a\u0000b',
  '{"$gt":""}',
  'x\r\nX-Injected: 1',
  '__proto__',
  'constructor',
  '😀'.repeat(40),
  'clr_aaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
];
/** Node's default limit on the request line and headers together (the gateway keeps it). */
const HEADER_LIMIT_BYTES = 16 * 1024;
const injection = fc.constantFrom(...INJECTIONS);
const huge = fc.integer({ min: 10_000, max: 300_000 }).map((n) => 'A'.repeat(n));
const hostileString = fc.oneof(injection, huge, fc.string({ maxLength: 200 }));
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1e308),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }),
  fc.constantFrom({ __proto__: { admin: true } }, { constructor: { prototype: { polluted: true } } }),
);

describe('fuzzing every route from its OpenAPI schema', () => {
  let stack: GatewayStack;
  let base = '';
  let document: OpenApi;
  const tenant = `fuzz-${randomUUID().slice(0, 8)}`;
  const email = `root@${tenant}.e2e.example`;
  const password = `e2e-${randomBytes(9).toString('base64url')}-Harbor-57`;
  const credentials: Record<'apiKey' | 'token' | 'none', Record<string, string>> = { apiKey: {}, token: {}, none: {} };

  beforeAll(async () => {
    speakFrom(randomClientAddress());
    createAdminWithCli(tenant, email, password);
    stack = await startStack({
      gatewayEnv: { ...RELAXED_LIMITS, HTTP_TRUST_PROXY: 'true' },
      authEnv: { LOGIN_IP_LIMIT_PER_MIN: '100000' },
      // The data routes forward to these: every route of the document is fuzzed against the service that answers it.
      ingest: { INGEST_DEFAULT_TENANT: tenant },
      clustering: true,
    });
    base = stack.bases[0]!;
    const token = (await login(base, tenant, email, password)).accessToken;
    credentials.token = bearer(token);
    const key = await call(base, '/api/v1/api-keys', { method: 'POST', headers: bearer(token), body: { name: 'fuzz', scopes: ROLE_PERMISSIONS.admin } });
    credentials.apiKey = apiKeyHeader((key.json as { key: string }).key);
    document = (await call(base, '/api/docs/openapi.json')).json as OpenApi;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** A referenced schema (also as the single member of an `allOf`, the form a $ref takes next to a description). */
  const resolveRef = (schema: Schema): Schema => {
    if (schema.$ref) return resolveRef(document.components.schemas[schema.$ref.split('/').pop()!]!);
    if (schema.allOf?.length === 1) return resolveRef(schema.allOf[0]!);
    return schema;
  };

  /** Values that satisfy the schema (as far as the schema says). */
  function valid(input: Schema, depth = 0): fc.Arbitrary<unknown> {
    const schema = resolveRef(input);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => valid(s, depth + 1)));
    const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
    switch (type) {
      case 'string':
        if (schema.format === 'uuid') return fc.uuid();
        if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
        if (schema.format === 'email') return fc.emailAddress();
        if (schema.format === 'uri') return fc.webUrl();
        if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
        return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
      case 'integer':
        return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
      case 'number':
        return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(valid(schema.items ?? {}, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
      case 'object': {
        if (depth > 4) return fc.constant({});
        if (schema.properties) {
          const shape = Object.fromEntries(Object.entries(schema.properties).map(([k, s]) => [k, valid(s, depth + 1)]));
          return fc.record(shape, { requiredKeys: schema.required ?? [] });
        }
        if (typeof schema.additionalProperties === 'object') return fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), valid(schema.additionalProperties, depth + 1), { maxKeys: 3 });
        return fc.constant({});
      }
      default:
        return fc.anything({ maxDepth: 2 });
    }
  }

  /** A valid value broken in one way, or left valid. */
  function broken(schema: Schema): fc.Arbitrary<unknown> {
    const good = valid(schema);
    return fc.oneof(
      good,
      wrongValue,
      fc.tuple(good, fc.nat(), wrongValue, fc.constantFrom('replace', 'delete', 'extra')).map(([value, pick, wrong, how]) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return wrong;
        const copy: Record<string, unknown> = { ...value };
        const keys = Object.keys(copy);
        if (how === 'extra' || keys.length === 0) copy[`extra${pick % 3}`] = wrong;
        else if (how === 'delete') delete copy[keys[pick % keys.length]!];
        else copy[keys[pick % keys.length]!] = wrong;
        return copy;
      }),
    );
  }

  const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value) ?? '');
  const encode = (value: string): string => encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, '?'));

  it('finds operations to fuzz in the served document', () => {
    expect(Object.keys(document.paths).length).toBeGreaterThan(20);
  });

  const operations = (): Array<[string, string]> => Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => [method, path] as [string, string]));

  /** The latest warnings and errors of the services, to say why a request failed. */
  const serviceWarnings = (): string =>
    JSON.stringify(stack.processes.flatMap((p) => p.logs.filter((l) => ['warn', 'error', 'fatal'].includes(String(l['level']))).slice(-2))).slice(0, 3000);

  it('never answers 5xx, whatever the parameters and body', async () => {
    const failures: string[] = [];
    for (const [method, path] of operations()) {
      const operation = document.paths[path]![method]!;
      const parameters = operation.parameters ?? [];
      const bodySchema = operation.requestBody?.content['application/json']?.schema;
      const request = fc.record({
        path: fc.tuple(...parameters.filter((p) => p.in === 'path').map((p) => fc.oneof(valid(p.schema), hostileString).map(asText))),
        query: fc.tuple(...parameters.filter((p) => p.in === 'query').map((p) => fc.option(fc.oneof(valid(p.schema), hostileString).map(asText), { nil: undefined }))),
        body: bodySchema ? broken(bodySchema) : fc.option(wrongValue, { nil: undefined }),
        credential: fc.constantFrom('apiKey', 'token', 'none') as fc.Arbitrary<'apiKey' | 'token' | 'none'>,
      });
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          let url = path;
          parameters.filter((p) => p.in === 'path').forEach((p, i) => (url = url.replace(`{${p.name}}`, encode(r.path[i]!))));
          const query = new URLSearchParams();
          parameters.filter((p) => p.in === 'query').forEach((p, i) => r.query[i] !== undefined && query.set(p.name, r.query[i]!));
          const target = `${url}${query.size ? `?${query}` : ''}`;
          // Beyond Node's header limit the server answers 431 and closes the connection at once; a client still sending
          // its request may see that as a reset instead. Either is a refusal, as long as the gateway lives on.
          const oversize = target.length > HEADER_LIMIT_BYTES;
          try {
            const res = await call(base, target, {
              method: method.toUpperCase(),
              headers: credentials[r.credential],
              ...(r.body !== undefined && method !== 'get' ? { rawBody: JSON.stringify(r.body) ?? 'null' } : {}),
            });
            if (res.status >= 500) failures.push(`${method.toUpperCase()} ${path} -> ${res.status} ${res.text.slice(0, 200)}; service warnings ${serviceWarnings()}`);
            if (oversize && res.status !== 431) failures.push(`${method.toUpperCase()} ${path} -> ${res.status} to a ${target.length}-character target (431 expected)`);
            return res.status < 500 && (!oversize || res.status === 431);
          } catch (err) {
            if (oversize && (await call(base, '/healthz')).status === 200) return true;
            const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
            failures.push(
              `${method.toUpperCase()} ${path} -> no answer: ${(err as Error).message} (${cause?.code ?? cause?.message ?? 'no cause'}; ` +
                `url ${url.length + query.toString().length} chars); service warnings ${serviceWarnings()}`,
            );
            return false;
          }
        }),
        { numRuns: 25, endOnFailure: true },
        // A failing operation is listed in `failures`; the others are still fuzzed.
      ).catch(() => undefined);
    }
    expect(failures).toEqual([]);
  }, 600_000);

  it('refuses null for every body field that is not nullable, and an array where an object belongs (400): no handler sees either', async () => {
    const failures: string[] = [];
    for (const [method, path] of operations()) {
      const operation = document.paths[path]![method]!;
      const bodySchema = operation.requestBody?.content['application/json']?.schema;
      const properties = bodySchema ? (resolveRef(bodySchema).properties ?? {}) : {};
      const parameters = operation.parameters ?? [];
      const cases = Object.entries(properties).flatMap(([name, schema]) => {
        const resolved = resolveRef(schema) as Schema & { nullable?: boolean };
        const nullable = resolved.nullable || (Array.isArray(schema.type) && schema.type.includes('null'));
        const isObject = resolved.type === 'object' || resolved.properties !== undefined;
        return [...(nullable ? [] : [[name, null] as const]), ...(isObject ? [[name, []] as const] : [])];
      });
      for (const [name, value] of cases) {
        let url = path;
        for (const p of parameters.filter((q) => q.in === 'path')) url = url.replace(`{${p.name}}`, encode(asText(fc.sample(valid(p.schema), { numRuns: 1, seed: 7 })[0])));
        const query = new URLSearchParams();
        for (const p of parameters.filter((q) => q.in === 'query' && q.required)) query.set(p.name, asText(fc.sample(valid(p.schema), { numRuns: 1, seed: 7 })[0]));
        // The required fields (valid values) and the one under test: nothing else can be the reason for a refusal.
        const sample = fc.sample(valid(bodySchema!), { numRuns: 1, seed: 7 })[0] as Record<string, unknown>;
        const required = resolveRef(bodySchema!).required ?? [];
        const body = { ...Object.fromEntries(Object.entries(sample).filter(([k]) => required.includes(k))), [name]: value };
        const res = await call(base, `${url}${query.size ? `?${query}` : ''}`, { method: method.toUpperCase(), headers: credentials.token, rawBody: JSON.stringify(body) });
        if (![400, 401, 403].includes(res.status)) failures.push(`${method.toUpperCase()} ${path} with ${name}: ${JSON.stringify(value)} -> ${res.status} ${res.text.slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('never lets an injection string in a filter widen the result', async () => {
    const headers = credentials.apiKey;
    await fc.assert(
      fc.asyncProperty(fc.oneof(injection, fc.string({ maxLength: 60 })), fc.constantFrom('action', 'actorId'), async (value, filter) => {
        const res = await call(base, '/api/v1/audit', { headers, query: { [filter]: value, limit: '500' } });
        const items = (res.json as { items?: Array<Record<string, unknown>> }).items ?? [];
        // Refused (400: NUL characters) or answered with exact matches only, never more.
        return res.status === 400 || (res.status === 200 && items.every((e) => e[filter] === value));
      }),
      { numRuns: 60 },
    );
    // The flag list is the same before and after hostile keys were tried.
    const before = (await call(base, '/api/v1/flags', { headers })).text;
    for (const key of INJECTIONS) {
      const res = await call(base, `/api/v1/flags/${encode(key)}`, { method: 'PUT', headers, body: { enabled: true } });
      expect([400, 404]).toContain(res.status);
    }
    expect((await call(base, '/api/v1/flags', { headers })).text).toBe(before);
  }, 120_000);

  it('never lets an injection string in a flow or endpoint filter widen the result', async () => {
    const headers = credentials.apiKey;
    const from = new Date(Date.now() - 86_400_000).toISOString();
    await fc.assert(
      fc.asyncProperty(fc.oneof(injection, fc.string({ maxLength: 60 })), fc.constantFrom('address', 'srcAddress', 'dstAddress', 'exporter'), async (value, filter) => {
        const res = await call(base, '/api/v1/flows', { headers, query: { from, [filter]: value } });
        // Refused as not an address, or (a string that is one) answered with flows of that address only: this tenant has none.
        return res.status === 400 || (res.status === 200 && (res.json as { items: unknown[] }).items.length === 0);
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(injection, fc.string({ maxLength: 60 })), async (value) => {
        const res = await call(base, '/api/v1/endpoints', { headers, query: { search: value } });
        return res.status === 400 || (res.status === 200 && (res.json as { items: unknown[] }).items.length === 0);
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
