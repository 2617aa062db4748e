// Database access: the one place that knows how a tenant transaction starts.
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import * as schema from '../../drizzle/schema.js';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/** Who a tenant transaction acts for. The org always comes from a verified token. */
export interface TenantScope {
  orgId: string;
  userId?: string | null;
}

/**
 * Run `fn` in a transaction bound to one org: the local role drops to the
 * NOLOGIN gatehouse_app role (no BYPASSRLS), and set_config(..., true) scopes
 * app.org_id to this transaction only, so a pooled connection never carries
 * one tenant's setting into another's request. Every tenant query goes
 * through here; RLS makes a forgotten WHERE clause return nothing foreign.
 */
export async function withTenant<T>(db: Database, scope: TenantScope, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // set_config('role', ..., true) is SET LOCAL ROLE as a function, so the
    // whole setup is one round trip instead of two on every transaction.
    await tx.execute(sql`select set_config('app.org_id', ${scope.orgId}, true), set_config('app.user_id', ${scope.userId ?? ''}, true), set_config('role', 'gatehouse_app', true)`);
    return fn(tx as Tx);
  });
}

/** Rows of a raw `tx.execute` across drivers (all three return `{ rows }`). */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

export { schema };
