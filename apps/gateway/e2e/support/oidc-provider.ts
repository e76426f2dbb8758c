import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

// A real OpenID Provider for the gateway's SSO e2e test: tools/testing/oidc-provider/oidc-provider.mjs (the
// `oidc-provider` package) in a child process, and a headless browser that signs in at it. The same harness as
// apps/auth/src/sso/testing/test-oidc-provider.ts (apps may not import each other).

const SCRIPT = resolve(__dirname, '../../../../tools/testing/oidc-provider/oidc-provider.mjs');

export interface TestAccount {
  email: string;
  name: string;
  groups: string[];
}

export class TestOidcProvider {
  issuer = '';
  private child?: ChildProcess;
  private stderr = '';

  constructor(private readonly options: { client: { client_id: string; client_secret: string; redirect_uris: string[] }; accounts: Record<string, TestAccount> }) {}

  async start(): Promise<this> {
    const child = fork(SCRIPT, [], {
      execArgv: [],
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test', OIDC_TEST_PROVIDER: JSON.stringify(this.options) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    child.stdout?.resume();
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.issuer = await new Promise<string>((done, reject) => {
      const timer = setTimeout(() => reject(new Error(`the OpenID provider did not start: ${this.stderr}`)), 20_000);
      child.once('exit', (code) => reject(new Error(`the OpenID provider exited with ${code}: ${this.stderr}`)));
      child.on('message', (message: { type: string; issuer?: string }) => {
        if (message.type === 'ready' && message.issuer) {
          clearTimeout(timer);
          done(message.issuer);
        }
      });
    });
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

/** Follows the IdP's redirects and submits its development login and consent forms; returns the redirect's query. */
export async function signInAtProvider(authorizationUrl: string, login: string, redirectUri: string): Promise<URLSearchParams> {
  const cookies = new Map<string, string>();
  let url = authorizationUrl;
  let method = 'GET';
  let body: URLSearchParams | undefined;
  for (let step = 0; step < 20; step++) {
    if (url.startsWith(redirectUri)) return new URL(url).searchParams;
    const res = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      signal: AbortSignal.timeout(5000),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) cookies.delete(pair.slice(0, eq).trim());
      else cookies.set(pair.slice(0, eq).trim(), value);
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).toString();
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (res.status !== 200 || !action || !prompt) throw new Error(`unexpected page at ${url} (${res.status}): ${html.slice(0, 300)}`);
    url = new URL(action.replace(/&amp;/g, '&'), url).toString();
    method = 'POST';
    body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any-password' } : { prompt });
  }
  throw new Error('too many steps before reaching the redirect URI');
}
