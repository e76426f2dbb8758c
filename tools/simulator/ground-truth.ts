// The ground truth: the true role of every endpoint, keyed as clustering keys endpoints (the MAC, "mac:aa:bb:..."),
// with its IP address(es), group, VLAN and SGT. JSON lines by default; CSV when the path ends in .csv.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { truthOf, type Enterprise, type TruthRecord } from './enterprise';

const CSV_COLUMNS: ReadonlyArray<keyof TruthRecord> = ['key', 'mac', 'ip', 'ipv6', 'role', 'group', 'vlan', 'sgt', 'irregular', 'pattern', 'variant', 'exporter'];

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatTruth(enterprise: Enterprise, format: 'jsonl' | 'csv'): string {
  const records = enterprise.endpoints.map(truthOf);
  if (format === 'csv') return [CSV_COLUMNS.join(','), ...records.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** Writes the ground truth to `path` (creating its directory); returns the number of endpoints written. */
export function writeTruth(enterprise: Enterprise, path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatTruth(enterprise, path.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl'));
  return enterprise.endpoints.length;
}
