// PostgreSQL from DATABASE_URL on the Node host (node-postgres pool).
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { DatabaseProvider } from '../context.js';
import { type Database, schema } from '../db.js';
import { migrationsFolder } from './migrations.js';
import { releasingTransactions } from './pooled-transactions.js';

export function openNodePostgres(connectionString: string, max = 10) {
  const pool = new pg.Pool({ connectionString, max });
  // An idle connection the server drops must not crash the process.
  const lost = (err: Error) => console.error(JSON.stringify({ level: 'warn', message: `database connection lost: ${err.message}` }));
  pool.on('error', lost);
  // A connection that dies while checked out (mid-transaction) emits 'error'
  // on its client, not the pool: listen there too, or the process would crash.
  pool.on('connect', (client) => client.on('error', lost));
  // No schema on the per-transaction instance: building its relational config costs 0.3 ms, and tenant code never uses it.
  const db = releasingTransactions(drizzle({ client: pool, schema }) as unknown as Database, pool, (client: pg.PoolClient) => drizzle({ client }) as unknown as Database);
  const provider: DatabaseProvider = { open: () => ({ db, close: async () => {} }) };
  return {
    db,
    pool,
    provider,
    migrate: () => migrate(db as never, { migrationsFolder }),
    close: () => pool.end(),
  };
}
