import { DomainException, ErrorCode } from '@clarion/contracts';

export const DEFAULT_PAGE_SIZE = 50;

/**
 * Cursors are base64url JSON arrays whose first element names the ordering they belong to (`endpoints:flows:desc`),
 * followed by the last row's sort values: opaque to clients, and a cursor from another list or order is refused
 * instead of silently starting somewhere else.
 */
export function encodeCursor(ordering: string, values: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify([ordering, ...values]), 'utf8').toString('base64url');
}

export function invalidCursor(): DomainException {
  return new DomainException(ErrorCode.ValidationFailed, 'the cursor is not valid', [{ field: 'cursor', message: 'not a cursor from a previous page of this list and order' }]);
}

/** The values of a cursor for `ordering`, each checked by its pattern. */
export function decodeCursor(cursor: string, ordering: string, patterns: readonly RegExp[]): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== patterns.length + 1 || parsed[0] !== ordering) throw invalidCursor();
  const values = parsed.slice(1).map((v) => (typeof v === 'number' ? String(v) : v));
  if (!values.every((v, i) => typeof v === 'string' && patterns[i].test(v))) throw invalidCursor();
  return values as string[];
}

/** A PostgreSQL bigint as text. */
export const BIGINT_TEXT = /^-?\d{1,19}$/;

