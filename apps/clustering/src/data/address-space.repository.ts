import type { EntityManager } from 'typeorm';
import { returnedRows } from '@clarion/persistence';

export interface AddressSpaceRecord {
  cidr: string;
  name: string;
  kind: string;
  description: string | null;
}

export interface AddressSpaceRow extends AddressSpaceRecord {
  id: string;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, cidr::text AS cidr, name, kind, description, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The address spaces of the tenant bound to the transaction, in network order (IPv4 first, then by address and length). */
export class AddressSpaceRepository {
  constructor(private readonly manager: EntityManager) {}

  list(afterCidr: string | undefined, limit: number): Promise<AddressSpaceRow[]> {
    return afterCidr === undefined
      ? this.manager.query(`SELECT ${COLUMNS} FROM address_spaces a ORDER BY a.cidr LIMIT $1`, [limit])
      : this.manager.query(`SELECT ${COLUMNS} FROM address_spaces a WHERE a.cidr > $1::cidr ORDER BY a.cidr LIMIT $2`, [afterCidr, limit]);
  }

  all(): Promise<AddressSpaceRow[]> {
    return this.manager.query(`SELECT ${COLUMNS} FROM address_spaces a ORDER BY a.cidr`);
  }

  /** The address spaces holding the address (the only ones that can classify it). */
  containing(address: string): Promise<AddressSpaceRow[]> {
    return this.manager.query(`SELECT ${COLUMNS} FROM address_spaces a WHERE a.cidr >>= $1::inet`, [address]);
  }

  async findById(id: string): Promise<AddressSpaceRow | null> {
    const rows: AddressSpaceRow[] = await this.manager.query(`SELECT ${COLUMNS} FROM address_spaces a WHERE a.id = $1`, [id]);
    return rows[0] ?? null;
  }

  async findIdByCidr(cidr: string): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.manager.query(`SELECT id FROM address_spaces WHERE cidr = $1::cidr`, [cidr]);
    return rows[0]?.id ?? null;
  }

  async insertMany(tenantId: string, spaces: ReadonlyArray<AddressSpaceRecord & { id: string }>): Promise<void> {
    if (spaces.length === 0) return;
    await this.manager.query(
      `INSERT INTO address_spaces (tenant_id, id, cidr, name, kind, description)
       SELECT $1, r.id, r.cidr::cidr, r.name, r.kind, r.description
       FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, cidr text, name text, kind text, description text)`,
      [tenantId, JSON.stringify(spaces)],
    );
  }

  async updateMany(spaces: ReadonlyArray<AddressSpaceRecord & { id: string }>): Promise<void> {
    if (spaces.length === 0) return;
    await this.manager.query(
      `UPDATE address_spaces a SET cidr = r.cidr::cidr, name = r.name, kind = r.kind, description = r.description, updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, cidr text, name text, kind text, description text)
       WHERE a.id = r.id`,
      [JSON.stringify(spaces)],
    );
  }

  async delete(id: string): Promise<boolean> {
    return returnedRows(await this.manager.query(`DELETE FROM address_spaces WHERE id = $1 RETURNING id`, [id])).length === 1;
  }
}
