import { SERVICE_TABLE_GRANTS as ROLE_GRANTS } from '../migrations/1764900000000-service-roles';
import { INVENTORY_TABLE_GRANTS } from '../migrations/1765000000000-network-inventory';
import { INTERNAL_ENDPOINT_GRANTS } from '../migrations/1765100000000-internal-endpoints';

type Grants = Record<string, Record<string, string[]>>;

function merged(...layers: Grants[]): Grants {
  const out: Grants = {};
  for (const layer of layers) {
    for (const [role, tables] of Object.entries(layer)) {
      const into = (out[role] ??= {});
      for (const [table, privileges] of Object.entries(tables)) into[table] = [...new Set([...(into[table] ?? []), ...privileges])];
    }
  }
  return out;
}

/**
 * What each service's database role is granted now, per table: the grants of migration 1764900000000
 * (service roles) with those later migrations added (1765000000000, network inventory; 1765100000000, internal
 * endpoints). For the tests that hold
 * roles and repositories to them (service grants, data ownership, the attack suite).
 */
export const SERVICE_TABLE_GRANTS: Readonly<Grants> = merged(ROLE_GRANTS, INVENTORY_TABLE_GRANTS, INTERNAL_ENDPOINT_GRANTS);
