import type { OpenAPIObject } from '@nestjs/swagger';
import type { OperationObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { RouteEntry } from '../http/route-table';
import { finishOpenApiDocument, PROBLEM_SCHEMA_REF, toOpenApi31 } from './openapi';

type Operation = OperationObject & { 'x-required-permissions'?: string[] };

const route = (method: RouteEntry['method'], path: string, access: { isPublic?: boolean; permissions?: string[] }): RouteEntry => ({
  controller: class {},
  handlerName: 'h',
  method,
  path,
  isPublic: access.isPublic ?? false,
  permissions: access.permissions,
  documented: true,
  hotRead: false,
});

const doc = (paths: Record<string, Record<string, object>>): OpenAPIObject =>
  ({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths, components: { schemas: {} } }) as unknown as OpenAPIObject;

describe('finishOpenApiDocument', () => {
  it('states permissions, security and problem+json errors from the route table', () => {
    const finished = finishOpenApiDocument(
      doc({
        '/api/v1/users/{id}': { patch: { summary: 's', parameters: [{ in: 'path', name: 'id' }], requestBody: {}, responses: { 200: { description: 'ok' } } } },
        '/healthz': { get: { summary: 'h', responses: { 200: { description: 'ok' } } } },
      }),
      [route('PATCH', '/api/v1/users/:id', { permissions: ['users:manage'] }), route('GET', '/healthz', { isPublic: true })],
    );
    const patch = finished.paths['/api/v1/users/{id}']!.patch! as Operation;
    expect(patch['x-required-permissions']).toEqual(['users:manage']);
    expect(patch.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    expect(patch.description).toContain('`users:manage`');
    for (const status of ['400', '401', '403', '404', '413', '429', '500', '503', '504']) {
      expect(patch.responses[status]).toMatchObject({ content: { 'application/problem+json': { schema: { $ref: PROBLEM_SCHEMA_REF } } } });
    }
    expect(patch.responses['429']).toMatchObject({ headers: { 'Retry-After': expect.anything() } });

    const health = finished.paths['/healthz']!.get! as Operation;
    expect(health['x-required-permissions']).toEqual([]);
    expect(health.security).toEqual([]);
    expect(health.description).toContain('Public');
    expect(Object.keys(health.responses)).not.toEqual(expect.arrayContaining(['401']));
    expect(health.responses['404']).toBeUndefined();
  });

  it('fails when a route is missing from the document, or an operation from the route table', () => {
    expect(() => finishOpenApiDocument(doc({}), [route('GET', '/x', { isPublic: true })])).toThrow(/missing/);
    expect(() => finishOpenApiDocument(doc({ '/y': { get: { responses: {} } } }), [])).toThrow(/not in the route table/);
  });
});

describe('toOpenApi31', () => {
  it('turns nullable types into JSON Schema null types', () => {
    expect(toOpenApi31({ type: 'string', nullable: true, format: 'date-time' })).toEqual({ type: ['string', 'null'], format: 'date-time' });
    expect(toOpenApi31({ type: 'string', enum: ['a'], nullable: true })).toEqual({ type: ['string', 'null'], enum: ['a', null] });
    expect(toOpenApi31({ $ref: '#/x', nullable: true, description: 'd' })).toEqual({ description: 'd', anyOf: [{ $ref: '#/x' }, { type: 'null' }] });
    expect(toOpenApi31({ properties: { a: { type: 'integer', nullable: false } } })).toEqual({ properties: { a: { type: 'integer' } } });
  });
});
