import { inboxPrefixOf, NATS_IDENTITIES, natsPermissionsOf, type NatsIdentity } from '@clarion/contracts';

/**
 * Renders the nats-server configuration that gives every Clarion identity its own nkey and exactly the permissions of
 * `natsPermissionsOf` (libs/contracts). The committed deploy/nats/nats-server.conf is this with `$VARIABLE`
 * references (nats-server reads them from its environment), and the test harness and `npm start` render it with
 * concrete keys and paths; a test keeps the committed file equal to the rendering.
 *
 * A value is either a literal or `{ variable: 'NAME' }`, written unquoted as `$NAME`.
 */
export type ConfigValue = string | { variable: string };

export interface NatsServerConfigOptions {
  /** `host:port` the clients connect to. */
  listen: ConfigValue;
  /** JetStream's store directory. */
  storeDir: ConfigValue;
  /** Every identity's public nkey (`U...`). */
  nkeys: Record<NatsIdentity, ConfigValue>;
  /** Server certificate; with it every client must speak TLS. `caFile` also verifies client certificates when given. */
  tls?: { certFile: ConfigValue; keyFile: ConfigValue };
  /** Monitoring port (`http: host:port`), for health checks; off when absent. */
  monitor?: ConfigValue;
  /** Server name (must be unique in a cluster). */
  serverName?: ConfigValue;
  /** A line at the top saying how the file was made. */
  header?: string;
}

const NKEY = /^U[A-Z2-7]{55}$/;

function value(v: ConfigValue): string {
  if (typeof v !== 'string') {
    if (!/^[A-Z][A-Z0-9_]*$/.test(v.variable)) throw new Error(`not a variable name: ${v.variable}`);
    return `$${v.variable}`;
  }
  if (/["\\\n\r]/.test(v)) throw new Error(`a configuration value may not contain quotes, backslashes or newlines: ${JSON.stringify(v)}`);
  return `"${v}"`;
}

const list = (items: string[], indent: string): string => `[\n${items.map((item) => `${indent}  ${value(item)}`).join(',\n')}\n${indent}]`;

/** The users block: one nkey user per identity with its publish/subscribe allow lists; everything else is denied. */
function user(identity: NatsIdentity, nkey: ConfigValue): string {
  if (typeof nkey === 'string' && !NKEY.test(nkey)) throw new Error(`${identity}: not a user nkey`);
  const p = natsPermissionsOf(identity);
  const indent = '        ';
  return [
    `    # ${identity}: replies on ${inboxPrefixOf(identity)}.>`,
    `    {`,
    `      nkey: ${value(nkey)}`,
    `      permissions: {`,
    `        publish: { allow: ${list(p.publish, indent)} }`,
    `        subscribe: { allow: ${list(p.subscribe, indent)} }`,
    ...(p.allowResponses ? [`        allow_responses: true`] : []),
    `      }`,
    `    }`,
  ].join('\n');
}

export function renderNatsServerConfig(options: NatsServerConfigOptions): string {
  const lines = [
    ...(options.header ? options.header.split('\n').map((l) => `# ${l}`) : []),
    ...(options.serverName ? [`server_name: ${value(options.serverName)}`] : []),
    `listen: ${value(options.listen)}`,
    ...(options.monitor ? [`http: ${value(options.monitor)}`] : []),
    `jetstream {`,
    `  store_dir: ${value(options.storeDir)}`,
    `}`,
  ];
  if (options.tls) {
    lines.push(`tls {`, `  cert_file: ${value(options.tls.certFile)}`, `  key_file: ${value(options.tls.keyFile)}`, `  timeout: 2`, `}`);
  }
  lines.push(
    `# No anonymous clients: every connection authenticates with one of these nkeys (a signed nonce; the seed never`,
    `# leaves the client). What is not allowed is denied.`,
    `authorization {`,
    `  users: [`,
    NATS_IDENTITIES.map((identity) => user(identity, options.nkeys[identity])).join(',\n'),
    `  ]`,
    `}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The committed configuration: keys and paths from the server's environment. */
export function deployedNatsServerConfig(): string {
  const nkeys = Object.fromEntries(NATS_IDENTITIES.map((identity) => [identity, { variable: `CLARION_NATS_NKEY_${identity.toUpperCase()}` }])) as Record<
    NatsIdentity,
    ConfigValue
  >;
  return renderNatsServerConfig({
    header:
      'Generated from libs/contracts (natsPermissionsOf) by `npm run nats -- config`; a test fails when it differs.\n' +
      'nats-server reads the $VARIABLES from its environment: each identity\'s public nkey (`npm run nats -- keys`\n' +
      'makes them), the listen address, the JetStream directory and the TLS certificate. See docs/SECURITY.md.',
    serverName: { variable: 'CLARION_NATS_SERVER_NAME' },
    listen: { variable: 'CLARION_NATS_LISTEN' },
    monitor: { variable: 'CLARION_NATS_MONITOR' },
    storeDir: { variable: 'CLARION_NATS_STORE_DIR' },
    tls: { certFile: { variable: 'CLARION_NATS_TLS_CERT' }, keyFile: { variable: 'CLARION_NATS_TLS_KEY' } },
    nkeys,
  });
}
