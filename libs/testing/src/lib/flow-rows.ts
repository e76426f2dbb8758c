import type { ClientBase } from 'pg';

/**
 * One flow row written as ingest writes it: into a day partition (or `flows_default`), where the application role
 * holds INSERT only. The columns a test does not name take fixed values (192.0.2.1 exporting IPFIX, 10.0.0.1 to
 * 10.0.0.2 on tcp/443, 100 bytes in one packet).
 */
export async function insertFlowRow(client: ClientBase, relation: string, flow: { tenantId: string; endTime: string; srcPort: number }): Promise<void> {
  if (!/^flows_(p\d{8}|default)$/.test(relation)) throw new Error(`not a flows partition: ${relation}`);
  await client.query(
    `INSERT INTO ${relation} (tenant_id, end_time, start_time, exporter, observation_domain, version, src_address, dst_address, src_port, dst_port,
       protocol, tcp_flags, bytes, packets, sampling_rate, input_interface, output_interface)
     VALUES ($1, $2, $2, '192.0.2.1', 0, 10, '10.0.0.1', '10.0.0.2', $3, 443, 6, 0, 100, 1, 1, 0, 0)`,
    [flow.tenantId, flow.endTime, flow.srcPort],
  );
}
