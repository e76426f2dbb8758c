import { readWorkspaceVersion } from '@clarion/platform';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_CONTROLLERS } from '../../apps/gateway/src/gateway.module';
import { toOpenApiPath } from '../../apps/gateway/src/docs/openapi';
import { routeTable } from '../../apps/gateway/src/http/route-table';
import { CLIENT_SCHEMA, generateOpenApiFiles, OPENAPI_DOCUMENT, renderClientSchema } from './openapi-files';

const ROOT = join(__dirname, '..', '..');
const committed = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Where two texts part, as `line N: "<committed>" / "<generated>"`; undefined when they are equal. */
function firstDifference(have: string, want: string): string | undefined {
  if (have === want) return undefined;
  const a = have.split('\n');
  const b = want.split('\n');
  const line = a.findIndex((l, i) => l !== b[i]);
  const at = line < 0 ? a.length : line;
  return `line ${at + 1}: committed ${JSON.stringify(a[at] ?? '<end>')}, generated ${JSON.stringify(b[at] ?? '<end>')}; run npm run openapi`;
}

describe('docs/openapi.json and the typed client, generated from the gateway (npm run openapi)', () => {
  let generated: Array<{ path: string; text: string }>;

  beforeAll(async () => {
    generated = await generateOpenApiFiles(readWorkspaceVersion());
  }, 60_000);

  it('are byte-for-byte what the gateway code and openapi-typescript give now', () => {
    expect(generated.map((f) => f.path)).toEqual([OPENAPI_DOCUMENT, CLIENT_SCHEMA]);
    for (const file of generated) expect({ file: file.path, stale: firstDifference(committed(file.path), file.text) }).toEqual({ file: file.path, stale: undefined });
  });

  it('document every route of the route table, with the permissions the access guard enforces', () => {
    const document = JSON.parse(committed(OPENAPI_DOCUMENT)) as { openapi: string; paths: Record<string, Record<string, { 'x-required-permissions'?: string[] }>> };
    expect(document.openapi).toBe('3.1.0');
    const routes = routeTable(GATEWAY_CONTROLLERS).filter((r) => r.documented);
    expect(routes.length).toBeGreaterThan(40);
    for (const route of routes) {
      const operation = document.paths[toOpenApiPath(route.path)]?.[route.method.toLowerCase()];
      expect({ route: `${route.method} ${route.path}`, permissions: operation?.['x-required-permissions'] }).toEqual({
        route: `${route.method} ${route.path}`,
        permissions: route.isPublic ? [] : route.permissions,
      });
    }
  });

  it('give the client a type for every path of the document', () => {
    const schema = committed(CLIENT_SCHEMA);
    for (const path of Object.keys((JSON.parse(committed(OPENAPI_DOCUMENT)) as { paths: object }).paths)) expect(schema).toContain(`    "${path}": {\n`);
  });

  it('would notice a route the committed files do not have (a check that can fail)', () => {
    const document = JSON.parse(committed(OPENAPI_DOCUMENT)) as { paths: Record<string, unknown> };
    delete document.paths['/api/v1/system/status'];
    const without = `${JSON.stringify(document, null, 2)}\n`;
    expect(firstDifference(without, committed(OPENAPI_DOCUMENT))).toMatch(/^line \d+: /);
    const schema = renderClientSchema(without);
    expect(schema).not.toContain('"/api/v1/system/status"');
    expect(firstDifference(committed(CLIENT_SCHEMA), schema)).toMatch(/run npm run openapi$/);
  });
});
