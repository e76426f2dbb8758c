import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClarionClient, type components } from '../index';

type SystemServices = components['schemas']['SystemServicesResponseModel'];
type TokenPair = components['schemas']['TokenPairResponse'];
type Problem = components['schemas']['ProblemDocumentDto'];

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const SERVICES: SystemServices = { status: 'ready', services: [{ service: 'auth', reachable: true, status: 'ready', version: '0.1.0', rpcLatencyMs: 1.5 }] };
const TOKENS: TokenPair = {
  accessToken: 'eyJ.test.jwt',
  tokenType: 'Bearer',
  expiresIn: 900,
  refreshToken: 'rt_test',
  refreshExpiresAt: '2030-01-01T00:00:00.000Z',
  sessionId: '00000000-0000-4000-8000-000000000001',
  mustChangePassword: false,
};
const NOT_FOUND: Problem = {
  type: 'urn:clarion:problem:not-found',
  title: 'Not found',
  status: 404,
  detail: 'no cluster c-missing in your tenant',
  instance: '/api/v1/clusters/c-missing/members',
  code: 'NOT_FOUND',
  correlationId: 'corr-1',
};

/** A stand-in gateway on a free loopback port: records each request and answers from the path. */
let server: Server;
let baseUrl: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const path = (req.url ?? '').split('?')[0];
      const answer = (status: number, type: string, body: unknown) => res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
      if (req.method === 'GET' && path === '/api/v1/system/services') return answer(200, 'application/json', SERVICES);
      if (req.method === 'POST' && path === '/api/v1/auth/login') return answer(200, 'application/json', TOKENS);
      return answer(404, 'application/problem+json', { ...NOT_FOUND, instance: path });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
});

describe('createClarionClient', () => {
  it('sends a GET to the path of the document with the token as a Bearer credential, and reads the typed JSON answer', async () => {
    const clarion = createClarionClient(`${baseUrl}/`, 'eyJ.test.jwt');
    const { data, error, response } = await clarion.GET('/api/v1/system/services');
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    const status: SystemServices | undefined = data;
    expect(status).toEqual(SERVICES);
    expect(status?.services[0]?.reachable).toBe(true);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'GET', url: '/api/v1/system/services' });
    expect(received[0]?.headers['authorization']).toBe('Bearer eyJ.test.jwt');
  });

  it('sends a typed body as JSON, without a credential when there is no token', async () => {
    const clarion = createClarionClient(baseUrl);
    const { data } = await clarion.POST('/api/v1/auth/login', { body: { tenant: 'acme', email: 'ada@acme.test', password: 'correct horse battery staple' } });
    expect(data?.accessToken).toBe(TOKENS.accessToken);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/api/v1/auth/login' });
    expect(received[0]?.headers['content-type']).toContain('application/json');
    expect(received[0]?.headers['authorization']).toBeUndefined();
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({ tenant: 'acme', email: 'ada@acme.test', password: 'correct horse battery staple' });
  });

  it('fills path parameters and serialises the query, and gives a problem+json answer as the error', async () => {
    const clarion = createClarionClient(baseUrl, 'clr_abcdefgh_0123456789abcdefghijklmn');
    const { data, error, response } = await clarion.GET('/api/v1/clusters/{id}/members', {
      params: { path: { id: 'c-missing' }, query: { limit: 25, sort: 'lastSeen', order: 'desc' } },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    const problem: Problem | undefined = error;
    expect(problem).toEqual({ ...NOT_FOUND, instance: '/api/v1/clusters/c-missing/members' });
    expect(problem?.code).toBe('NOT_FOUND');
    expect(received[0]?.url).toBe('/api/v1/clusters/c-missing/members?limit=25&sort=lastSeen&order=desc');
    expect(received[0]?.headers['authorization']).toBe('Bearer clr_abcdefgh_0123456789abcdefghijklmn');
  });
});

/** Never called: tsc (npm run lint) checks that the client refuses what the document does not allow. */
export function callsTheTypesRefuse(): void {
  const clarion = createClarionClient('http://127.0.0.1:3000');
  // @ts-expect-error: no such path in the document
  void clarion.GET('/api/v1/no-such-route');
  // @ts-expect-error: the login body lacks the required password
  void clarion.POST('/api/v1/auth/login', { body: { tenant: 'acme', email: 'ada@acme.test' } });
  // @ts-expect-error: the path parameter `id` is required
  void clarion.GET('/api/v1/clusters/{id}/members', { params: { query: { limit: 25 } } });
  // @ts-expect-error: `sort` takes only the document's values
  void clarion.GET('/api/v1/clusters/{id}/members', { params: { path: { id: 'c-1' }, query: { sort: 'name' } } });
}
