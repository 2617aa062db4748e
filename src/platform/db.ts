// Database access: the one place that knows how a tenant transaction starts.
import { type SQL, sql } from 'drizzle-orm';
import { PgDialect, type PgDatabase, type PgQueryResultHKT, type PgTransaction } from 'drizzle-orm/pg-core';
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
    await executeNamed(tx as Tx, sql`select set_config('app.org_id', ${scope.orgId}, true), set_config('app.user_id', ${scope.userId ?? ''}, true), set_config('role', 'gatehouse_app', true)`);
    return fn(tx as Tx);
  });
}

const dialect = new PgDialect();
const statementNames = new Map<string, string | undefined>();
const namesTaken = new Set<string>();
const MAX_NAMED_STATEMENTS = 200;

/**
 * A short stable name for a statement text (FNV-1a), so the same text always
 * gets the same name on every connection. A name never serves two texts
 * (node-postgres refuses that for good): a text whose hash is taken runs
 * unnamed, as do texts past the cap.
 */
function statementName(text: string): string | undefined {
  if (statementNames.has(text)) return statementNames.get(text);
  if (statementNames.size >= MAX_NAMED_STATEMENTS) return undefined;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  const candidate = `gh_${(h >>> 0).toString(36)}_${text.length.toString(36)}`;
  const name = namesTaken.has(candidate) ? undefined : candidate;
  if (name) namesTaken.add(name);
  statementNames.set(text, name);
  return name;
}

/**
 * `tx.execute` for the statements every claim, finalize and request runs:
 * as a named prepared statement, so each pooled connection parses it once
 * and PostgreSQL can keep its plan, instead of parsing and planning it
 * again on every call (0.3-0.9 ms per statement under RLS here). Only for
 * statements whose text does not depend on the data (lists travel as one
 * array parameter): every distinct text costs a prepared statement on each
 * connection, so after MAX_NAMED_STATEMENTS texts the rest run unnamed.
 * Plans stay correct across orgs: RLS reads app.org_id when it runs, and a
 * plan made under another role is replanned. PGlite ignores the name.
 */
export async function executeNamed(tx: Tx | Database, query: SQL): Promise<unknown> {
  const compiled = dialect.sqlToQuery(query);
  return tx._.session.prepareQuery(compiled, undefined, statementName(compiled.sql), false).execute();
}

/**
 * A drizzle query builder run as a named prepared statement (see
 * executeNamed), named by its text, which costs building it twice. A caller
 * whose query text is the same on every call (no member-dependent parts)
 * may pass a fixed name instead, and it is built once.
 */
export function executeNamedQuery<R>(query: { toSQL(): { sql: string }; prepare(name: string): { execute(): Promise<R> } }, fixedName?: `gh_${string}`): Promise<R> {
  return query.prepare(fixedName ?? statementName(query.toSQL().sql) as string).execute();
}

/** A Postgres array literal parameter; drizzle would otherwise expand a JS array into a list. */
export function toArray(values: (string | number | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(',')}}`;
}

/** Rows of a raw `tx.execute` across drivers (all three return `{ rows }`). */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

export { schema };
