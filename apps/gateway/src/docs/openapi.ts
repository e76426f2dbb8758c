import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ERROR_TITLES, ErrorCode } from '@clarion/contracts';
import { ProblemDocumentDto } from '../http/problem.dto';
import type { RouteEntry } from '../http/route-table';

type Operation = Record<string, unknown> & { responses: Record<string, unknown>; parameters?: Array<{ in: string }>; requestBody?: unknown };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export const PROBLEM_SCHEMA_REF = '#/components/schemas/ProblemDocumentDto';

const problem = (code: ErrorCode, when: string) => ({
  description: `${ERROR_TITLES[code]} (${code}): ${when}`,
  content: { 'application/problem+json': { schema: { $ref: PROBLEM_SCHEMA_REF } } },
});

/** `/api/v1/users/:id` -> `/api/v1/users/{id}` */
export const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * The OpenAPI 3.1 document of the gateway, generated from the controllers and DTOs; see finishOpenApiDocument for what
 * the route table adds.
 */
export function buildOpenApiDocument(app: INestApplication, routes: RouteEntry[], version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Clarion API')
    .setDescription(
      'The public HTTP API of Clarion. Authenticate with an access token (`Authorization: Bearer <jwt>`, from ' +
        '`POST /api/v1/auth/login`) or an API key (`X-API-Key: clr_...`). Every error is `application/problem+json` ' +
        '(RFC 9457) with a stable `code`; lists are `{ items, nextCursor }`; times are ISO-8601 in UTC. Each operation ' +
        'names the permissions it needs in `x-required-permissions`.\n\n' +
        '**Live updates.** `GET /api/v1/stream` upgrades to a WebSocket (it is not an HTTP operation, so it is not ' +
        'listed below). Authenticate at connect with the same `Authorization`/`X-API-Key` headers, or from a browser ' +
        'with the subprotocols `clarion.v1, bearer.<access token>` (never a token in the URL). Frames are JSON ' +
        '`{ type, at, data }`: `hello`; `clusters.updated` and `job.progress` (need `clusters:read`); `ingest.rates` ' +
        '(needs `exporters:read`). The server closes with 4401 when the credential expires or is revoked and 1001 ' +
        'when it shuts down; treat a frame as a hint to re-read the resource it names.',
    )
    .setVersion(version)
    .setOpenAPIVersion('3.1.0')
    .setLicense('Proprietary', 'https://clarion.invalid/license')
    .addServer('/', 'This gateway')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token from /api/v1/auth/login (or an API key).' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key, `clr_<prefix>_<secret>`.' }, 'apiKey')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ProblemDocumentDto],
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  return finishOpenApiDocument(document, routes);
}

/**
 * Completes every operation from the route table, so the document states exactly what the access guard enforces:
 * `x-required-permissions`, its security requirement (none for public routes), an access line in its description,
 * and its problem+json error answers. Then rewrites the OpenAPI 3.0 idioms the generator emits into 3.1 (JSON Schema
 * 2020-12: `nullable` becomes a `null` type). Throws when a route is missing from the document.
 */
export function finishOpenApiDocument(document: OpenAPIObject, routes: RouteEntry[]): OpenAPIObject {
  for (const route of routes.filter((r) => r.documented)) {
    const path = toOpenApiPath(route.path);
    const operation = (document.paths[path] as Record<string, Operation> | undefined)?.[route.method.toLowerCase()];
    if (!operation) throw new Error(`${route.method} ${route.path} is missing from the OpenAPI document`);
    const permissions = route.isPublic ? [] : (route.permissions ?? []);
    operation['x-required-permissions'] = permissions;
    operation['security'] = route.isPublic ? [] : [{ bearer: [] }, { apiKey: [] }];
    const access = route.isPublic
      ? 'Public: no credential needed.'
      : permissions.length > 0
        ? `Requires the permission${permissions.length > 1 ? 's' : ''} ${permissions.map((p) => `\`${p}\``).join(', ')}.`
        : 'Requires a valid credential; no particular permission.';
    operation['description'] = [operation['description'], `**Access:** ${access}`].filter(Boolean).join('\n\n');

    const responses = operation.responses;
    const add = (status: number, code: ErrorCode, when: string) => {
      responses[String(status)] ??= problem(code, when);
    };
    const hasInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
    if (hasInput) add(400, ErrorCode.ValidationFailed, 'a parameter or the body breaks a rule; `errors` lists each one.');
    if (!route.isPublic) {
      add(401, ErrorCode.Unauthenticated, 'no credential, or one that is invalid, expired or revoked.');
      add(403, ErrorCode.Forbidden, 'the credential lacks a required permission, or the action is not allowed for it.');
    }
    if (route.path.includes('/:')) add(404, ErrorCode.NotFound, 'nothing with this id in your tenant.');
    if (operation.requestBody !== undefined) add(413, ErrorCode.PayloadTooLarge, 'the body is larger than HTTP_BODY_LIMIT_BYTES.');
    add(429, ErrorCode.RateLimited, 'too many requests from this address or principal; wait `Retry-After` seconds.');
    add(500, ErrorCode.Internal, 'an unexpected error; quote the correlation id.');
    add(503, ErrorCode.ServiceUnavailable, 'a service or dependency behind the gateway is unavailable.');
    add(504, ErrorCode.UpstreamTimeout, 'a service did not answer in time.');
    responses['429'] = {
      ...(responses['429'] as object),
      headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer', minimum: 1 } } },
    };
  }
  for (const pathItem of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = (pathItem as Record<string, Operation | undefined>)[method];
      if (operation && !('x-required-permissions' in operation)) throw new Error(`an operation of the document is not in the route table`);
    }
  }
  return toOpenApi31(document) as OpenAPIObject;
}

/** OpenAPI 3.0 schema idioms -> 3.1 (JSON Schema 2020-12). */
export function toOpenApi31(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toOpenApi31);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = toOpenApi31(value);
  if (out['nullable'] === true) {
    delete out['nullable'];
    if (typeof out['type'] === 'string') {
      out['type'] = [out['type'], 'null'];
      if (Array.isArray(out['enum']) && !out['enum'].includes(null)) out['enum'] = [...out['enum'], null];
    } else if (Array.isArray(out['type'])) {
      if (!out['type'].includes('null')) out['type'] = [...out['type'], 'null'];
    } else {
      const { description, ...schema } = out;
      return { ...(description !== undefined ? { description } : {}), anyOf: [schema, { type: 'null' }] };
    }
  } else if (out['nullable'] === false) {
    delete out['nullable'];
  }
  return out;
}
