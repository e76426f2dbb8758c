import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

/**
 * The one pagination shape of the API: `{ items, nextCursor }`. `nextCursor` is opaque; pass it as `cursor` to get the
 * next page; null on the last page.
 */
export function PageOf<T>(item: Type<T>): Type<{ items: T[]; nextCursor: string | null }> {
  class Page {
    @ApiProperty({ type: [item] })
    items: T[];

    @ApiProperty({ type: 'string', nullable: true, description: 'Cursor of the next page; null on the last page.' })
    nextCursor: string | null;
  }
  return Page;
}

/** A list that always fits one page, in the same shape as a paginated one. */
export const onePage = <T>(items: T[]): { items: T[]; nextCursor: null } => ({ items, nextCursor: null });
