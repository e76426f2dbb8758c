// Command-line options of the simulator: parsed with node:util parseArgs, validated in one place, every problem
// reported at once. Defaults are what `npm start` needs: feed a local ingest gently, until stopped.
import { parseArgs } from 'node:util';
import { IPFIX_SGT_FIELDS, V9_SGT_FIELDS, type SgtFields } from './export-encoder';
import { ROLE_NAMES, isRoleName, type RoleName } from './role-archetypes';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './rhythm';

export interface SimulatorOptions {
  targetHost: string;
  targetPort: number;
  version: 9 | 10;
  exporters: number;
  /** v9 source id / IPFIX observation domain of exporter 0; exporter i uses this + i. */
  observationDomain: number;
  /** Local addresses the exporter sockets bind to, cycled over the exporters (empty: any). */
  bind: string[];
  maxPacketBytes: number;
  templateRefreshS: number;
  templateRefreshPackets: number;
  seed: number;
  endpoints: number;
  mix: Partial<Record<RoleName, number>>;
  noise: number;
  sgtShare: number;
  sgtFields: SgtFields;
  ipv6Share: number;
  /** Real minutes per simulated day; 0: no clock, as fast as `rate` allows. */
  dayMinutes: number;
  startMs: number;
  /** Let simulated time run ahead of the wall clock (otherwise it follows the wall clock once it catches up). */
  allowFuture: boolean;
  utcOffsetMinutes: number;
  activeTimeoutS: number;
  /** Maximum flows per second; 0: unlimited. */
  rate: number;
  /** Bounds: stop after this many flows, real seconds, or simulated days (null: unbounded). */
  flows: number | null;
  durationS: number | null;
  simDays: number | null;
  truthPath: string | null;
  statsIntervalS: number;
  log: 'text' | 'json';
}

export class OptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

export const HELP = `Clarion simulator: a seeded synthetic enterprise exporting NetFlow v9 or IPFIX over UDP.

Usage: node dist/tools/simulator/main.js [options]
With no options it feeds a local ingest (127.0.0.1:2055) with 300 endpoints, replaying the last 24 hours at a day
per hour until it catches up with the wall clock, then in real time, until SIGINT/SIGTERM.

Target and exporters
  --target HOST:PORT            collector address (default 127.0.0.1:2055)
  --protocol v9|ipfix           export format (default v9)
  --exporters N                 exporter sockets, each an access switch with its own endpoints (default 1)
  --observation-domain N        v9 source id / IPFIX observation domain of exporter 0; exporter i uses N+i (default 1)
  --bind ADDR[,ADDR...]         local addresses for the exporter sockets, cycled (e.g. 127.0.0.2,127.0.0.3 makes
                                distinct exporter addresses on loopback; default: any)
  --max-packet-bytes N          largest UDP payload (default 1400)
  --template-refresh-s S        resend templates every S seconds (default 30)
  --template-refresh-packets N  and every N packets (default 100; 0 = time only)
  --active-timeout-s S          long connections are reported every S simulated seconds (default 300)

Enterprise
  --seed N                      same seed, same enterprise, same flows (default 1)
  --endpoints N                 endpoints besides the internet gateway (default 300)
  --mix ROLE=W[,ROLE=W...]      role weights; unnamed roles keep their default, 0 removes a role
  --noise F                     share of irregular endpoints that do random things, 0-1 (default 0.05)
  --sgt-share F                 share of connections whose records carry TrustSec tags, 0-1 (default 0)
  --sgt-fields SRC,DST          [enterprise:]element ids of the tags (default 34000,34001 for v9,
                                9:1232,9:1233 for IPFIX, i.e. Cisco's 34000/34001 with the enterprise bit)
  --ipv6-share F                share of user/guest endpoints that are dual-stack, 0-1 (default 0)
  --truth PATH                  ground truth, JSON lines or .csv (default tmp/simulator-truth.jsonl; "none": skip)
  --roles                       print the role archetypes and their default weights, then exit

Time and rate
  --start WHEN                  simulated start: ISO date, "now", or relative "-24h", "-7d", "-90m" (default -24h)
  --day-minutes N               real minutes per simulated day (default 60; 1440 = real time; 0 = no clock,
                                as fast as --rate allows)
  --allow-future                keep the compressed clock running past the wall clock (default: follow the wall
                                clock once caught up, so no flow is dated in the future)
  --utc-offset MINUTES          the enterprise's local time zone, for business hours (default 0)
  --rate N                      maximum flows per second (default 1000; 0 = unlimited)

Bounds (default: run until SIGINT/SIGTERM)
  --flows N                     stop after N flows
  --duration S                  stop after S real seconds
  --sim-days D                  stop when D simulated days have passed

Output
  --stats-interval S            seconds between stats lines (default 5)
  --log text|json               log format on stdout (default text)
  --help                        this text
`;

const DEFAULTS = {
  target: '127.0.0.1:2055',
  endpoints: 300,
  noise: 0.05,
  dayMinutes: 60,
  start: '-24h',
  rate: 1000,
  truth: 'tmp/simulator-truth.jsonl',
};

const FLAG_SPEC = {
  help: { type: 'boolean' },
  roles: { type: 'boolean' },
  target: { type: 'string' },
  protocol: { type: 'string' },
  exporters: { type: 'string' },
  'observation-domain': { type: 'string' },
  bind: { type: 'string' },
  'max-packet-bytes': { type: 'string' },
  'template-refresh-s': { type: 'string' },
  'template-refresh-packets': { type: 'string' },
  'active-timeout-s': { type: 'string' },
  seed: { type: 'string' },
  endpoints: { type: 'string' },
  mix: { type: 'string' },
  noise: { type: 'string' },
  'sgt-share': { type: 'string' },
  'sgt-fields': { type: 'string' },
  'ipv6-share': { type: 'string' },
  truth: { type: 'string' },
  start: { type: 'string' },
  'day-minutes': { type: 'string' },
  'allow-future': { type: 'boolean' },
  'utc-offset': { type: 'string' },
  rate: { type: 'string' },
  flows: { type: 'string' },
  duration: { type: 'string' },
  'sim-days': { type: 'string' },
  'stats-interval': { type: 'string' },
  log: { type: 'string' },
} as const;

export type ParsedCommand = { command: 'help' } | { command: 'roles' } | { command: 'run'; options: SimulatorOptions };

/** Parses argv (without node and script); throws OptionsError listing every problem. */
export function parseSimulatorArgs(argv: readonly string[], nowMs: number): ParsedCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: joinNegativeValues(argv), options: FLAG_SPEC, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new OptionsError([(err as Error).message]);
  }
  if (values.help) return { command: 'help' };
  if (values.roles) return { command: 'roles' };

  const problems: string[] = [];
  const str = (name: keyof typeof FLAG_SPEC): string | undefined => values[name] as string | undefined;
  const number = (name: keyof typeof FLAG_SPEC, fallback: number, check: (n: number) => boolean, expect: string): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) {
      problems.push(`--${name} must be ${expect} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const integer = (name: keyof typeof FLAG_SPEC, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number =>
    number(name, fallback, (n) => Number.isInteger(n) && n >= min && n <= max, `an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`);
  const share = (name: keyof typeof FLAG_SPEC, fallback: number): number => number(name, fallback, (n) => n >= 0 && n <= 1, 'a share from 0 to 1');
  const optional = (name: keyof typeof FLAG_SPEC, min: number, isInteger: boolean): number | null =>
    str(name) === undefined ? null : number(name, 0, (n) => n >= min && (!isInteger || Number.isInteger(n)), `${isInteger ? 'an integer' : 'a number'} >= ${min}`);

  const target = str('target') ?? DEFAULTS.target;
  const { host: targetHost, port: targetPort } = parseHostPort(target, problems);

  const protocol = (str('protocol') ?? 'v9').toLowerCase();
  let version: 9 | 10 = 9;
  if (protocol === 'ipfix' || protocol === '10') version = 10;
  else if (protocol !== 'v9' && protocol !== '9') problems.push(`--protocol must be v9 or ipfix (got "${protocol}")`);

  const log = str('log') ?? 'text';
  if (log !== 'text' && log !== 'json') problems.push(`--log must be text or json (got "${log}")`);

  const sgtFieldsText = str('sgt-fields');
  const sgtFields = sgtFieldsText === undefined ? (version === 9 ? V9_SGT_FIELDS : IPFIX_SGT_FIELDS) : parseSgtFields(sgtFieldsText, version, problems);

  const startText = str('start') ?? DEFAULTS.start;
  const startMs = parseStart(startText, nowMs);
  if (startMs === null) problems.push(`--start must be an ISO date, "now" or a relative time like -24h, -7d, -90m (got "${startText}")`);

  const truth = str('truth') ?? DEFAULTS.truth;
  const options: SimulatorOptions = {
    targetHost,
    targetPort,
    version,
    exporters: integer('exporters', 1, 1, 1024),
    observationDomain: integer('observation-domain', 1, 0, 0xffffffff),
    bind: (str('bind') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    maxPacketBytes: integer('max-packet-bytes', 1400, 512, 65_507),
    templateRefreshS: number('template-refresh-s', 30, (n) => n > 0, 'a number > 0'),
    templateRefreshPackets: integer('template-refresh-packets', 100, 0),
    activeTimeoutS: number('active-timeout-s', 300, (n) => n >= 1 && n <= 3600, 'seconds from 1 to 3600'),
    seed: integer('seed', 1, 0, 0xffffffff),
    endpoints: integer('endpoints', DEFAULTS.endpoints, 1, 2_000_000),
    mix: parseMix(str('mix'), problems),
    noise: share('noise', DEFAULTS.noise),
    sgtShare: share('sgt-share', 0),
    sgtFields,
    ipv6Share: share('ipv6-share', 0),
    truthPath: truth === 'none' || truth === '' ? null : truth,
    startMs: startMs ?? nowMs,
    dayMinutes: number('day-minutes', DEFAULTS.dayMinutes, (n) => n >= 0, 'a number >= 0'),
    allowFuture: values['allow-future'] === true,
    utcOffsetMinutes: integer('utc-offset', 0, -14 * 60, 14 * 60),
    rate: number('rate', DEFAULTS.rate, (n) => n >= 0, 'a number >= 0'),
    flows: optional('flows', 1, true),
    durationS: optional('duration', 0, false),
    simDays: optional('sim-days', 0, false),
    statsIntervalS: number('stats-interval', 5, (n) => n > 0, 'a number > 0'),
    log: log === 'json' ? 'json' : 'text',
  };
  if (problems.length > 0) throw new OptionsError(problems);
  return { command: 'run', options };
}

/**
 * parseArgs takes "-24h" after "--start" for an option of its own; values that look like negative numbers or
 * relative times are joined to their flag ("--start=-24h") so they can be written naturally.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    const spec = (FLAG_SPEC as Record<string, { type: string }>)[name];
    if (spec?.type === 'string' && i + 1 < argv.length && /^-\d/.test(argv[i + 1])) {
      out.push(`${argv[i]}=${argv[i + 1]}`);
      i++;
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

function parseHostPort(text: string, problems: string[]): { host: string; port: number } {
  // [v6]:port, host:port
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || !(port >= 1 && port <= 65535)) {
    problems.push(`--target must be HOST:PORT (got "${text}")`);
    return { host: '127.0.0.1', port: 2055 };
  }
  return { host: match[1], port };
}

function parseMix(text: string | undefined, problems: string[]): Partial<Record<RoleName, number>> {
  const mix: Partial<Record<RoleName, number>> = {};
  if (text === undefined) return mix;
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, weightText] = part.split('=');
    const weight = Number(weightText);
    if (!isRoleName(name)) problems.push(`--mix: unknown role "${name}" (roles: ${ROLE_NAMES.join(', ')})`);
    else if (weightText === undefined || !Number.isFinite(weight) || weight < 0) problems.push(`--mix: weight of ${name} must be a number >= 0`);
    else mix[name] = weight;
  }
  return mix;
}

function parseSgtFields(text: string, version: 9 | 10, problems: string[]): SgtFields {
  const refs = text.split(',').map((part) => {
    const pieces = part.trim().split(':');
    const [enterprise, id] = pieces.length === 2 ? pieces.map(Number) : [0, Number(pieces[0])];
    return { id, enterprise };
  });
  const valid = refs.length === 2 && refs.every((r) => Number.isInteger(r.id) && Number.isInteger(r.enterprise) && r.enterprise >= 0 && r.id > 0);
  const fits = refs.every((r) => (version === 9 ? r.enterprise === 0 && r.id <= 0xffff : r.id <= 0x7fff));
  if (!valid || !fits) {
    problems.push(
      `--sgt-fields must be two [enterprise:]element ids, e.g. 34000,34001 (v9: no enterprise, ids up to 65535; IPFIX: ids up to 32767) (got "${text}")`,
    );
    return version === 9 ? V9_SGT_FIELDS : IPFIX_SGT_FIELDS;
  }
  return { source: refs[0], destination: refs[1] };
}

/** ISO date, "now", or "-<n><m|h|d>" relative to now. */
export function parseStart(text: string, nowMs: number): number | null {
  if (text === 'now') return nowMs;
  const relative = /^-(\d+(?:\.\d+)?)(m|h|d)$/.exec(text);
  if (relative) return Math.round(nowMs - Number(relative[1]) * { m: MINUTE_MS, h: HOUR_MS, d: DAY_MS }[relative[2] as 'm' | 'h' | 'd']);
  const parsed = Date.parse(text);
  return Number.isFinite(parsed) ? parsed : null;
}
