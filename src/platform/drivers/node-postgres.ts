// PostgreSQL from DATABASE_URL on the Node host (node-postgres pool).
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { DatabaseProvider } from '../context.js';
import { type Database, schema } from '../db.js';
import { migrationsFolder } from './migrations.js';

export function openNodePostgres(connectionString: string, max = 10) {
  const pool = new pg.Pool({ connectionString, max });
  // An idle connection the server drops must not crash the process.
  pool.on('error', (err) => console.error(JSON.stringify({ level: 'warn', message: `database connection lost: ${err.message}` })));
  const db = drizzle({ client: pool, schema }) as unknown as Database;
  const provider: DatabaseProvider = { open: () => ({ db, close: async () => {} }) };
  return {
    db,
    provider,
    migrate: () => migrate(db as never, { migrationsFolder }),
    close: () => pool.end(),
  };
}
