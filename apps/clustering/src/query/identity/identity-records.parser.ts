import { DomainException, ErrorCode } from '@clarion/contracts';
import { normaliseMac } from '@clarion/clustering-core';
import { isIP } from 'node:net';
import { CsvSyntaxError, parseCsv } from '@clarion/platform';

/** One imported record before validation; `at` is the 1-based CSV line or the 0-based JSON array index. */
export interface IdentityInput {
  at: number;
  /** Why the record cannot be read at all (its shape, before its fields are looked at). */
  defect?: string;
  mac?: unknown;
  ip?: unknown;
  deviceType?: unknown;
  user?: unknown;
  groups?: unknown;
}

export interface IdentityRecord {
  /** `mac:..` and/or `ip:..`: a record naming both is stored under both, since the endpoint is keyed by its MAC only where flows carry one. */
  endpointKeys: string[];
  deviceType: string | null;
  user: string | null;
  groups: string[];
}

export type IdentityVerdict = { record: IdentityRecord } | { reason: string };

export const CSV_COLUMNS = ['mac', 'ip', 'device_type', 'user', 'groups'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

/** Bounds that keep one identity small; directory exports beyond them are almost always a wrong column. */
export const IDENTITY_LIMITS = { deviceType: 128, user: 256, group: 256, groups: 64 } as const;

const headerError = () =>
  new DomainException(ErrorCode.ValidationFailed, `the CSV must start with a header naming its columns (${CSV_COLUMNS.join(',')})`, [
    { field: 'content', message: `header required: ${CSV_COLUMNS.join(',')}` },
  ]);

function blank(fields: readonly string[]): boolean {
  return fields.every((f) => f.trim() === '');
}

/**
 * Records of a CSV import. The header is required: it names columns from CSV_COLUMNS in any order, at least mac or ip;
 * missing columns are empty. `groups` holds the directory groups separated by `;`.
 */
export function identityInputsFromCsv(content: string): IdentityInput[] {
  let records;
  try {
    records = parseCsv(content).filter((r) => !blank(r.fields));
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new DomainException(ErrorCode.ValidationFailed, `the CSV is not valid: ${err.message}`, [{ field: 'content', message: err.message }]);
    throw err;
  }
  const header = records.shift();
  if (header === undefined) throw headerError();
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const known = new Set<string>(CSV_COLUMNS);
  if (!columns.every((c) => known.has(c)) || new Set(columns).size !== columns.length || !(columns.includes('mac') || columns.includes('ip'))) {
    throw headerError();
  }
  const index = (name: CsvColumn) => columns.indexOf(name);
  return records.map((r) => {
    if (r.fields.length > columns.length) return { at: r.line, defect: 'more fields than the header has columns' };
    const get = (name: CsvColumn) => (index(name) >= 0 ? (r.fields[index(name)] ?? '') : '');
    return { at: r.line, mac: get('mac'), ip: get('ip'), deviceType: get('device_type'), user: get('user'), groups: get('groups') };
  });
}

/** Records of a JSON import: an array of `{ mac?, ip?, deviceType?, user?, groups? }` (groups an array of strings). */
export function identityInputsFromJson(content: string): IdentityInput[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.charCodeAt(0) === 0xfeff ? content.slice(1) : content);
  } catch (err) {
    throw new DomainException(ErrorCode.ValidationFailed, 'the content is not valid JSON', [{ field: 'content', message: (err as Error).message }]);
  }
  if (!Array.isArray(parsed)) throw new DomainException(ErrorCode.ValidationFailed, 'the JSON must be an array of identity records', [{ field: 'content', message: 'not an array' }]);
  return parsed.map((item: unknown, at): IdentityInput => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return { at, defect: 'not an object' };
    const o = item as Record<string, unknown>;
    return { at, mac: o['mac'], ip: o['ip'], deviceType: o['deviceType'], user: o['user'], groups: o['groups'] };
  });
}

function optionalText(value: unknown, name: string, max: number): string | null | { reason: string } {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') return { reason: `${name} must be text` };
  const text = value.trim();
  if (text.length > max) return { reason: `${name} is longer than ${max} characters` };
  return text === '' ? null : text;
}

/** Canonical text of an IP address as flows report it (IPv6 compressed, lower case), or null. */
export function canonicalIp(text: string): string | null {
  const version = isIP(text);
  if (version === 4) return text;
  // A zone (fe80::1%eth0) names an interface of one host, not an endpoint.
  if (version === 6 && !text.includes('%')) return new URL(`http://[${text}]`).hostname.slice(1, -1);
  return null;
}

/** Checks one record and derives its endpoint keys. */
export function validateIdentity(input: IdentityInput): IdentityVerdict {
  if (input.defect !== undefined) return { reason: input.defect };
  const mac = optionalText(input.mac, 'mac', 32);
  const ip = optionalText(input.ip, 'ip', 64);
  const deviceType = optionalText(input.deviceType, 'device type', IDENTITY_LIMITS.deviceType);
  const user = optionalText(input.user, 'user', IDENTITY_LIMITS.user);
  for (const v of [mac, ip, deviceType, user]) if (v !== null && typeof v === 'object') return v;
  const keys: string[] = [];
  if (typeof mac === 'string') {
    const normalised = normaliseMac(mac);
    if (normalised === null) return { reason: `invalid MAC address "${mac.slice(0, 32)}" (or a broadcast/multicast one)` };
    keys.push(`mac:${normalised}`);
  }
  if (typeof ip === 'string') {
    const canonical = canonicalIp(ip);
    if (canonical === null) return { reason: `invalid IP address "${ip.slice(0, 64)}"` };
    keys.push(`ip:${canonical}`);
  }
  if (keys.length === 0) return { reason: 'a MAC or an IP address is required' };

  let groupList: unknown[];
  if (input.groups === undefined || input.groups === null) groupList = [];
  else if (typeof input.groups === 'string') groupList = input.groups.split(';');
  else if (Array.isArray(input.groups)) groupList = input.groups;
  else return { reason: 'groups must be a list of text' };
  const groups: string[] = [];
  for (const g of groupList) {
    if (typeof g !== 'string') return { reason: 'groups must be a list of text' };
    const name = g.trim();
    if (name === '') continue;
    if (name.length > IDENTITY_LIMITS.group) return { reason: `a group name is longer than ${IDENTITY_LIMITS.group} characters` };
    if (!groups.includes(name)) groups.push(name);
  }
  if (groups.length > IDENTITY_LIMITS.groups) return { reason: `more than ${IDENTITY_LIMITS.groups} groups` };
  return { record: { endpointKeys: keys, deviceType: deviceType as string | null, user: user as string | null, groups } };
}
