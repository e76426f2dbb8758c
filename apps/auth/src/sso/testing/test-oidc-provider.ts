import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export interface TestAccount {
  email: string;
  name: string;
  groups: string[];
}

export interface TestOidcProviderOptions {
  client: { client_id: string; client_secret: string; redirect_uris: string[] };
  /** Accounts by login name; the login name is also the subject (`sub`). */
  accounts: Record<string, TestAccount>;
}

/** The provider itself: ESM-only, so it runs in its own Node process (jest here runs CommonJS). */
const SCRIPT = resolve(__dirname, '../../../../../tools/testing/oidc-provider/oidc-provider.mjs');
const START_TIMEOUT_MS = 20_000;

/**
 * Test harness, used by sso.integration-spec.ts only (kept beside it because apps may not import from tools/).
 *
 * A real OpenID Provider (`oidc-provider`) in a child process, for tests of the relying party. Not a mock: discovery,
 * the authorization endpoint with its login and consent pages, the token, JWKS and userinfo endpoints are the
 * package's own.
 */
export class TestOidcProvider {
  issuer = '';
  private child?: ChildProcess;
  private stderr = '';
  private nextId = 1;
  private readonly acks = new Map<number, () => void>();

  constructor(private readonly options: TestOidcProviderOptions) {}

  async start(): Promise<this> {
    const child = fork(SCRIPT, [], {
      // The jest worker's own flags (SWC hooks and the like) must not leak into the ESM provider process.
      execArgv: [],
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test', OIDC_TEST_PROVIDER: JSON.stringify(this.options) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    child.stdout?.resume();
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.issuer = await new Promise<string>((resolveIssuer, reject) => {
      const timer = setTimeout(() => reject(new Error(`the OpenID provider did not start in time: ${this.stderr}`)), START_TIMEOUT_MS);
      child.once('exit', (code) => reject(new Error(`the OpenID provider exited with ${code}: ${this.stderr}`)));
      child.on('message', (message: { type: string; issuer?: string; id?: number }) => {
        if (message.type === 'ready' && message.issuer) {
          clearTimeout(timer);
          resolveIssuer(message.issuer);
        } else if (message.type === 'ack' && message.id !== undefined) {
          this.acks.get(message.id)?.();
          this.acks.delete(message.id);
        }
      });
    });
    return this;
  }

  /** Adds or changes an account at the provider (for example its groups); `null` removes it. */
  setAccount(login: string, account: TestAccount | null): Promise<void> {
    const id = this.nextId++;
    return new Promise((done) => {
      this.acks.set(id, done);
      this.child?.send({ type: 'setAccount', id, login, account });
    });
  }

  /** What the provider wrote to stderr (its warnings and any server_error), for failure messages. */
  get log(): string {
    return this.stderr;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

export interface AuthorizationResponse {
  code: string | null;
  state: string | null;
  iss: string | null;
  error: string | null;
}

/**
 * A browser without a screen: follows redirects by hand, keeps cookies per name (enough for one provider host), and
 * submits the provider's development login and consent forms.
 */
export class HeadlessBrowser {
  private readonly cookies = new Map<string, string>();

  /**
   * Opens `authorizationUrl`, signs in as `login` and consents, and returns the authorization response parameters
   * delivered to `redirectUri` (which is never actually requested).
   */
  async signIn(authorizationUrl: string, login: string, redirectUri: string): Promise<AuthorizationResponse> {
    let url = authorizationUrl;
    let method: 'GET' | 'POST' = 'GET';
    let body: URLSearchParams | undefined;
    for (let step = 0; step < 20; step++) {
      if (url.startsWith(redirectUri)) {
        const params = new URL(url).searchParams;
        return { code: params.get('code'), state: params.get('state'), iss: params.get('iss'), error: params.get('error') };
      }
      const res = await fetch(url, {
        method,
        body,
        redirect: 'manual',
        headers: { cookie: this.cookieHeader(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        signal: AbortSignal.timeout(5000),
      });
      this.store(res.headers.getSetCookie());
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).toString();
        method = 'GET';
        body = undefined;
        continue;
      }
      const html = await res.text();
      if (res.status !== 200) throw new Error(`the provider answered ${res.status} at ${url}: ${html.slice(0, 500)}`);
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
      if (!action || !prompt) throw new Error(`no login or consent form at ${url}: ${html.slice(0, 500)}`);
      url = new URL(action.replace(/&amp;/g, '&'), url).toString();
      method = 'POST';
      // The development login accepts any password for an account that exists.
      body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any-password' } : { prompt });
    }
    throw new Error('too many steps before reaching the redirect URI');
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private store(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key, attr] = a.trim().split('=');
        if (key?.toLowerCase() === 'max-age') return Number(attr) <= 0;
        if (key?.toLowerCase() === 'expires') return Date.parse(attr ?? '') <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}
