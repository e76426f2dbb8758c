import { INVENTORY_NAME_PATTERN, MAX_SAMPLING_RATE, formatAddress, parseAddress } from '@clarion/contracts';
import { checkedField, textField, type FieldCheck, type ImportColumn, type ImportRecord } from '@clarion/platform';

/**
 * The exporter registrations' import and export format (@clarion/platform import-records). The key is the address. A
 * site is named by its id: sites are the clustering service's, and ingest never reads their table.
 */
export const EXPORTER_COLUMNS: readonly ImportColumn[] = [
  { csv: 'address', json: 'address' },
  { csv: 'name', json: 'name' },
  { csv: 'site_id', json: 'siteId' },
  { csv: 'sampling_override', json: 'samplingOverride' },
  { csv: 'enabled', json: 'enabled' },
];

/** The address as ingest names exporters (IPv4-mapped IPv6 as IPv4, IPv6 in RFC 5952 form, as PostgreSQL writes it). */
export function canonicalExporterAddress(text: string): string | undefined {
  const parsed = parseAddress(text.trim());
  return parsed === undefined ? undefined : formatAddress(parsed.family, parsed.bytes);
}

const ADDRESS = (value: string): FieldCheck<string> => {
  const address = canonicalExporterAddress(value);
  return address === undefined ? { reason: `address '${value}' is not an IPv4 or IPv6 address` } : { value: address };
};
const NAME = (value: string): FieldCheck<string> => (INVENTORY_NAME_PATTERN.test(value) ? { value } : { reason: 'name must be 1-200 characters without control characters' });
const SITE_ID = (value: string): FieldCheck<string> =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ? { value: value.toLowerCase() } : { reason: `site_id '${value}' is not a site id (a UUID)` };
const RATE = (value: string): FieldCheck<number> =>
  /^\d{1,10}$/.test(value) && Number(value) >= 1 && Number(value) <= MAX_SAMPLING_RATE ? { value: Number(value) } : { reason: `sampling_override must be a 1-in-N rate, 1-${MAX_SAMPLING_RATE} (not '${value}')` };
const FLAG = (value: string): FieldCheck<boolean> => {
  const lower = value.toLowerCase();
  if (['true', 'yes', '1'].includes(lower)) return { value: true };
  if (['false', 'no', '0'].includes(lower)) return { value: false };
  return { reason: `enabled must be true or false (not '${value}')` };
};

export function exporterFields(record: ImportRecord) {
  return {
    address: checkedField(textField(record, 'address'), ADDRESS),
    name: checkedField(textField(record, 'name'), NAME),
    siteId: checkedField(textField(record, 'siteId'), SITE_ID),
    samplingOverride: checkedField(textField(record, 'samplingOverride'), RATE),
    enabled: checkedField(textField(record, 'enabled'), FLAG),
  };
}
