import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './api-schema.generated';

/** A client of the Clarion API whose paths, parameters, bodies and answers are typed from docs/openapi.json. */
export type ClarionClient = Client<paths>;

/**
 * A typed client of the Clarion API served at `baseUrl` (the gateway's origin, e.g. `http://127.0.0.1:3000`).
 * `token` is an access token from `POST /api/v1/auth/login` or an API key (`clr_...`); the gateway takes either as
 * `Authorization: Bearer`. `options` go to openapi-fetch (its own `fetch`, more headers, ...).
 *
 *   const clarion = createClarionClient('http://127.0.0.1:3000', token);
 *   const { data, error, response } = await clarion.GET('/api/v1/clusters/{id}', { params: { path: { id } } });
 *
 * `data` is the typed answer of a 2xx, `error` the problem+json document of anything else.
 */
export function createClarionClient(
  baseUrl: string,
  token?: string,
  options: Omit<ClientOptions, 'baseUrl' | 'headers'> & { headers?: Record<string, string> } = {},
): ClarionClient {
  const headers = { ...options.headers, ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) };
  return createClient<paths>({ ...options, baseUrl: baseUrl.replace(/\/+$/, ''), headers });
}
