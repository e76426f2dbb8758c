import {
  ADDRESS_SCOPES,
  INVENTORY_IMPORT_MAX_RECORDS,
  INVENTORY_NAME_PATTERN,
  SITE_KINDS,
  SUBNET_PURPOSES,
  formatNetwork,
  isTimeZone,
  parseCidr,
  type InventoryFormat,
  type InventoryKind,
} from '@clarion/contracts';
import {
  checkedField,
  firstReason,
  oneOf,
  readImportRecords,
  textField,
  valueOr,
  writeImportRecords,
  type FieldCheck,
  type ImportColumn,
  type ImportRecord,
} from '@clarion/platform';

/**
 * The import and export formats of the network inventory (@clarion/platform import-records: CSV with a header, or a
 * JSON array; a column left out keeps the stored value, an empty cell clears it). The key of a record: a site's name,
 * an address space's or a subnet's CIDR.
 */
export const INVENTORY_COLUMNS: Record<InventoryKind, readonly ImportColumn[]> = {
  sites: [
    { csv: 'name', json: 'name' },
    { csv: 'kind', json: 'kind' },
    { csv: 'parent', json: 'parent' },
    { csv: 'time_zone', json: 'timeZone' },
    { csv: 'description', json: 'description' },
  ],
  'address-spaces': [
    { csv: 'cidr', json: 'cidr' },
    { csv: 'name', json: 'name' },
    { csv: 'kind', json: 'kind' },
    { csv: 'description', json: 'description' },
  ],
  subnets: [
    { csv: 'cidr', json: 'cidr' },
    { csv: 'name', json: 'name' },
    { csv: 'site', json: 'site' },
    { csv: 'vlan', json: 'vlan' },
    { csv: 'purpose', json: 'purpose' },
    { csv: 'description', json: 'description' },
  ],
};

export type RawRecord = ImportRecord;

/** The records of an import, or VALIDATION_FAILED when the content as a whole cannot be read. */
export const readInventoryRecords = (kind: InventoryKind, format: InventoryFormat, content: string): RawRecord[] =>
  readImportRecords(format, content, INVENTORY_COLUMNS[kind], INVENTORY_IMPORT_MAX_RECORDS);

const text = textField;
const checked = checkedField;

const NAME =
  (key: string) =>
  (value: string): FieldCheck<string> =>
    INVENTORY_NAME_PATTERN.test(value) ? { value } : { reason: `${key} must be 1-200 characters without control characters` };
const DESCRIPTION = (value: string): FieldCheck<string> => (value.length <= 500 ? { value } : { reason: 'description must be at most 500 characters' });
const CIDR = (value: string): FieldCheck<string> => {
  const verdict = parseCidr(value);
  return 'error' in verdict ? { reason: `cidr: ${verdict.error}` } : { value: formatNetwork(verdict.network) };
};
const TIME_ZONE = (value: string): FieldCheck<string> => (isTimeZone(value) ? { value } : { reason: `time zone '${value}' is not an IANA time zone name (such as Europe/Zurich)` });
const VLAN = (value: string): FieldCheck<number> =>
  /^\d{1,4}$/.test(value) && Number(value) >= 1 && Number(value) <= 4094 ? { value: Number(value) } : { reason: `vlan must be 1-4094 (not '${value}')` };

/** The fields of one site record, each checked on its own (references and the hierarchy are the importer's). */
export function siteFields(record: RawRecord) {
  return {
    name: checked(text(record, 'name'), NAME('name')),
    kind: checked(text(record, 'kind'), oneOf('kind', SITE_KINDS)),
    parent: checked(text(record, 'parent'), NAME('parent')),
    timeZone: checked(text(record, 'timeZone'), TIME_ZONE),
    description: checked(text(record, 'description'), DESCRIPTION),
  };
}

export function addressSpaceFields(record: RawRecord) {
  return {
    cidr: checked(text(record, 'cidr'), CIDR),
    name: checked(text(record, 'name'), NAME('name')),
    kind: checked(text(record, 'kind'), oneOf('kind', ADDRESS_SCOPES)),
    description: checked(text(record, 'description'), DESCRIPTION),
  };
}

export function subnetFields(record: RawRecord) {
  return {
    cidr: checked(text(record, 'cidr'), CIDR),
    name: checked(text(record, 'name'), NAME('name')),
    site: checked(text(record, 'site'), NAME('site')),
    vlan: checked(text(record, 'vlan'), VLAN),
    purpose: checked(text(record, 'purpose'), oneOf('purpose', SUBNET_PURPOSES)),
    description: checked(text(record, 'description'), DESCRIPTION),
  };
}

export { firstReason, valueOr };

/** Records (by JSON name) in the kind's format: CSV with every column, or a JSON array. */
export const writeInventoryRecords = (kind: InventoryKind, format: InventoryFormat, records: ReadonlyArray<Record<string, string | number | null>>): string =>
  writeImportRecords(format, INVENTORY_COLUMNS[kind], records);
