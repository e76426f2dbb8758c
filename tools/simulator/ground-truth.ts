// The ground truth: the true role of every endpoint, keyed as clustering keys endpoints (the MAC, "mac:aa:bb:..."),
// with its IP address(es), group, VLAN and SGT. JSON lines by default; CSV when the path ends in .csv.
import { stringify } from 'csv-stringify/sync';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { truthOf, type Enterprise, type TruthRecord } from './enterprise';

const CSV_COLUMNS: ReadonlyArray<keyof TruthRecord> = ['key', 'mac', 'ip', 'ipv6', 'role', 'group', 'vlan', 'sgt', 'irregular', 'pattern', 'variant', 'exporter'];

export function formatTruth(enterprise: Enterprise, format: 'jsonl' | 'csv'): string {
  const records = enterprise.endpoints.map(truthOf);
  // LF line ends, null as an empty cell and booleans as true/false (csv-stringify's default writes 1 and '').
  if (format === 'csv') return stringify(records, { header: true, columns: CSV_COLUMNS as string[], cast: { boolean: (value) => String(value) } });
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** Writes the ground truth to `path` (creating its directory); returns the number of endpoints written. */
export function writeTruth(enterprise: Enterprise, path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatTruth(enterprise, path.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl'));
  return enterprise.endpoints.length;
}
