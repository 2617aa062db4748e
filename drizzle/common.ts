// Column helpers shared by every area's tables.
import { customType, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Every tenant-owned row carries its org; RLS policies key on this column. */
export const orgId = () => uuid('org_id').notNull();

export const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow();
export const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow();
export const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' });

/** Full-text vector kept in a generated column (GIN-indexed in a custom migration). */
export const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * pgvector column with no fixed typmod: one table holds 384/768/1024/1536-dim
 * vectors, each dimension served by its own partial HNSW index on a cast.
 */
export const vector = customType<{ data: number[]; driverData: string }>({
  dataType: () => 'vector',
  toDriver: (value) => `[${value.join(',')}]`,
  fromDriver: (value) => JSON.parse(value) as number[],
});
