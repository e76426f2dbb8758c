/**
 * Columns of `flows` in the order of a binary COPY row: the table's shape, shared by its writer (ingest) and its
 * archiver (retention). The ingest service's encoder writes fields in exactly this
 * order and with these types (see apps/ingest/src/storage/flow-copy-encoder.ts).
 */
export const FLOW_COPY_COLUMNS = [
  ['tenant_id', 'uuid'],
  ['end_time', 'timestamptz'],
  ['start_time', 'timestamptz'],
  ['exporter', 'inet'],
  ['observation_domain', 'int8'],
  ['version', 'int2'],
  ['src_address', 'inet'],
  ['dst_address', 'inet'],
  ['src_port', 'int4'],
  ['dst_port', 'int4'],
  ['protocol', 'int2'],
  ['tcp_flags', 'int4'],
  ['bytes', 'int8'],
  ['packets', 'int8'],
  ['sampling_rate', 'int4'],
  ['input_interface', 'int8'],
  ['output_interface', 'int8'],
  ['src_mac', 'macaddr'],
  ['dst_mac', 'macaddr'],
  ['src_vlan', 'int4'],
  ['dst_vlan', 'int4'],
  ['direction', 'int2'],
  ['src_sgt', 'int4'],
  ['dst_sgt', 'int4'],
] as const;
