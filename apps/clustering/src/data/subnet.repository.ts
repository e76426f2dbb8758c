import type { EntityManager } from 'typeorm';
import { returnedRows } from '@clarion/persistence';

export interface SubnetRecord {
  cidr: string;
  name: string | null;
  siteId: string | null;
  vlan: number | null;
  purpose: string | null;
  description: string | null;
}

export interface SubnetRow extends SubnetRecord {
  id: string;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, cidr::text AS cidr, name, site_id AS "siteId", vlan, purpose, description, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The subnets of the tenant bound to the transaction, in network order. */
export class SubnetRepository {
  constructor(private readonly manager: EntityManager) {}

  list(afterCidr: string | undefined, limit: number, siteId?: string): Promise<SubnetRow[]> {
    return this.manager.query(
      `SELECT ${COLUMNS} FROM subnets s
        WHERE ($1::cidr IS NULL OR s.cidr > $1::cidr) AND ($2::uuid IS NULL OR s.site_id = $2::uuid)
        ORDER BY s.cidr LIMIT $3`,
      [afterCidr ?? null, siteId ?? null, limit],
    );
  }

  all(): Promise<SubnetRow[]> {
    return this.manager.query(`SELECT ${COLUMNS} FROM subnets s ORDER BY s.cidr`);
  }

  containing(address: string): Promise<SubnetRow[]> {
    return this.manager.query(`SELECT ${COLUMNS} FROM subnets s WHERE s.cidr >>= $1::inet`, [address]);
  }

  async findById(id: string): Promise<SubnetRow | null> {
    const rows: SubnetRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM subnets s WHERE s.id = $1`, [id]);
    return rows[0] ?? null;
  }

  async findIdByCidr(cidr: string): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.manager.query(`SELECT id FROM subnets WHERE cidr = $1::cidr`, [cidr]);
    return rows[0]?.id ?? null;
  }

  async countOfSite(siteId: string): Promise<number> {
    const rows: Array<{ n: number }> = await this.manager.query(`SELECT count(*)::int AS n FROM subnets WHERE site_id = $1`, [siteId]);
    return rows[0]?.n ?? 0;
  }

  async insertMany(tenantId: string, subnets: ReadonlyArray<SubnetRecord & { id: string }>): Promise<void> {
    if (subnets.length === 0) return;
    await this.manager.query(
      `INSERT INTO subnets (tenant_id, id, cidr, name, site_id, vlan, purpose, description)
       SELECT $1, r.id, r.cidr::cidr, r.name, r."siteId", r.vlan, r.purpose, r.description
       FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, cidr text, name text, "siteId" uuid, vlan integer, purpose text, description text)`,
      [tenantId, JSON.stringify(subnets)],
    );
  }

  async updateMany(subnets: ReadonlyArray<SubnetRecord & { id: string }>): Promise<void> {
    if (subnets.length === 0) return;
    await this.manager.query(
      `UPDATE subnets s SET cidr = r.cidr::cidr, name = r.name, site_id = r."siteId", vlan = r.vlan, purpose = r.purpose, description = r.description, updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, cidr text, name text, "siteId" uuid, vlan integer, purpose text, description text)
       WHERE s.id = r.id`,
      [JSON.stringify(subnets)],
    );
  }

  async delete(id: string): Promise<boolean> {
    return returnedRows(await this.manager.query(`DELETE FROM subnets WHERE id = $1 RETURNING id`, [id])).length === 1;
  }
}
