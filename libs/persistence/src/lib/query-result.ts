/**
 * TypeORM's raw `query()` returns the rows for SELECT and INSERT, but `[rows, affectedCount]` for UPDATE and DELETE.
 * Repositories pass UPDATE/DELETE ... RETURNING results through this to always get the rows.
 */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

/** The one row an INSERT ... RETURNING or a locking SELECT must produce. */
export function singleRow<T>(rows: T[]): T {
  const row = rows[0];
  if (row === undefined) throw new Error('the statement returned no row');
  return row;
}
