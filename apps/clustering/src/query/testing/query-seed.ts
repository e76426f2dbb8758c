// Seeds the clustering tables the way the flow consumer and the full runs leave them, for the query integration
// specs. Writes as the PostgreSQL superuser (row-level security does not apply), so a seed can never be mistaken for
// the application's own tenant scoping.
import { EndpointProfile, encodeProfile } from '@clarion/clustering-core';
import type { Client } from 'pg';
// eslint-disable-next-line @nx/enforce-module-boundaries -- clustering-core's synthetic role flows, test-only by design (see the file header)
import { synthesiseRoleFlows } from '../../../../../libs/clustering-core/src/testing/role-flows';

export interface SeedEndpoint {
  key: string;
  /** The IPv4 address the role flows are synthesised for (and stored as the endpoint's address unless `storeAddress` is false). */
  address: string;
  mac?: string | null;
  role: string;
  seed: number;
  days?: number;
  storeAddress?: boolean;
  /** Overrides the stored last-seen time (null: never seen), to test sorting. */
  lastSeenMs?: number | null;
}

/** Builds the endpoint's profile from synthetic role flows and stores it; returns its flow count. */
export async function seedEndpoint(db: Client, tenantId: string, e: SeedEndpoint): Promise<number> {
  const profile = new EndpointProfile();
  for (const flow of synthesiseRoleFlows(e.role, e.address, e.days ?? 2, e.seed)) {
    if (flow.srcAddress === e.address) profile.observe(flow, 'src', `ip:${flow.dstAddress}`);
    else profile.observe(flow, 'dst', `ip:${flow.srcAddress}`);
  }
  const lastSeen = e.lastSeenMs === undefined ? profile.lastSeenMs : e.lastSeenMs;
  await db.query(
    `INSERT INTO endpoint_profiles (tenant_id, endpoint_key, address, mac, profile, flows, first_seen_at, last_seen_at)
     VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7 / 1000.0), to_timestamp($8 / 1000.0))`,
    [tenantId, e.key, e.storeAddress === false ? null : e.address, e.mac ?? null, Buffer.from(encodeProfile(profile)), profile.flows, profile.firstSeenMs, lastSeen],
  );
  return profile.flows;
}

export interface SeedCluster {
  id: string;
  label: string;
  size: number;
  summary?: unknown;
  retired?: boolean;
}

export async function seedCluster(db: Client, tenantId: string, c: SeedCluster): Promise<void> {
  await db.query(
    `INSERT INTO clusters (tenant_id, id, label, explanation, size, quality, stability, summary, retired_at)
     VALUES ($1, $2, $3, $4, $5, 0.8, 0.9, $6, CASE WHEN $7 THEN now() ELSE NULL END)`,
    [tenantId, c.id, c.label, `Explanation of ${c.label}`, c.size, JSON.stringify(c.summary ?? {}), c.retired === true],
  );
}

export interface SeedMembership {
  key: string;
  clusterId: string | null;
  confidence?: number;
  band?: string;
  assignedBy?: 'clustering' | 'assignment';
}

export async function seedMembership(db: Client, tenantId: string, m: SeedMembership): Promise<void> {
  await db.query(
    `INSERT INTO endpoint_memberships (tenant_id, endpoint_key, cluster_id, probability, confidence, band, assigned_by, assigned_at)
     VALUES ($1, $2, $3, $4, $4, $5, $6, now())`,
    [tenantId, m.key, m.clusterId, m.confidence ?? 0, m.band ?? 'very_low', m.clusterId === null ? null : (m.assignedBy ?? 'clustering')],
  );
}

export async function seedSgt(db: Client, tenantId: string, value: number, name: string, clusterId: string | null = null): Promise<void> {
  await db.query(`INSERT INTO sgts (tenant_id, value, name, category, cluster_id) VALUES ($1, $2, $3, 'custom', $4)`, [tenantId, value, name, clusterId]);
}

export interface SeedEdge {
  client: string;
  server: string;
  protocol: number;
  port: number;
  clientTag?: number;
  serverTag?: number;
  flows: number;
  bytes: number;
  firstSeenMs: number;
  lastSeenMs: number;
}

export async function seedEdges(db: Client, tenantId: string, edges: readonly SeedEdge[]): Promise<void> {
  for (const e of edges) {
    await db.query(
      `INSERT INTO endpoint_edges (tenant_id, client_key, server_key, protocol, port, client_tag, server_tag, flows, bytes, packets, first_seen_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, to_timestamp($10 / 1000.0), to_timestamp($11 / 1000.0))`,
      [tenantId, e.client, e.server, e.protocol, e.port, e.clientTag ?? -1, e.serverTag ?? -1, e.flows, e.bytes, e.firstSeenMs, e.lastSeenMs],
    );
  }
}

/** A new tenant (as the superuser: tenants is a platform table). */
export async function seedTenant(db: Client, slug: string): Promise<string> {
  return (await db.query(`INSERT INTO tenants (slug, name) VALUES ($1, $1) RETURNING id`, [slug])).rows[0].id;
}
