// A real OpenID Provider (the `oidc-provider` package) for integration tests, run as a child process because the
// package is ESM-only and jest runs CommonJS. Start it with child_process.fork and an IPC channel:
//
//   OIDC_TEST_PROVIDER = JSON {
//     client: { client_id, client_secret, redirect_uris: [...] },
//     accounts: { "<login>": { email, name, groups: [...] } }
//   }
//
// Run by hand (no IPC channel) it prints the issuer and serves until interrupted, for trying SSO locally.
//
// It listens on 127.0.0.1 on a port the OS picks (so there is no race for a free port), then sends
// { type: 'ready', issuer }. Messages from the parent: { type: 'setAccount', id, login, account } (account null
// removes it), answered with { type: 'ack', id }. Development interactions are on: any password signs in an account
// that exists, then a consent page follows.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const options = JSON.parse(process.env.OIDC_TEST_PROVIDER ?? '{}');
const accounts = new Map(Object.entries(options.accounts ?? {}));

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

// A fresh signing key per run: nothing from a previous run can verify.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      ...options.client,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  pkce: { required: () => true },
  // `groups` is a scope of its own, as at Keycloak or Okta; with conformIdTokenClaims (the default) the code flow's
  // ID token carries only `sub` and the relying party reads email, name and groups from the userinfo endpoint.
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      claims: async () => ({ sub, email: account.email, email_verified: true, name: account.name, groups: account.groups ?? [] }),
    };
  },
});
// Quiet: the development-interaction banner and per-request errors would only clutter the test output.
provider.on('server_error', (_ctx, err) => process.stderr.write(`oidc-provider server_error: ${err.stack}\n`));

server.on('request', provider.callback());

process.on('message', (message) => {
  if (message?.type === 'setAccount') {
    if (message.account) accounts.set(message.login, message.account);
    else accounts.delete(message.login);
    process.send({ type: 'ack', id: message.id });
  }
});
// The parent's end of the IPC channel closing means the test run is over.
const shutdown = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('disconnect', shutdown);
process.on('SIGTERM', shutdown);

if (process.send) process.send({ type: 'ready', issuer });
else process.stdout.write(`OpenID provider for tests listening: issuer ${issuer}\n`);
