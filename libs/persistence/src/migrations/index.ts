import { Foundation1764000000000 } from './1764000000000-foundation';

/** Every migration, in order. A new migration is added here and nowhere else. */
export const MIGRATIONS = [Foundation1764000000000];
