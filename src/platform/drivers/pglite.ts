// The embedded default: PGlite (PostgreSQL in WebAssembly) with pgvector.
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { DatabaseProvider } from '../context.js';
import { type Database, schema } from '../db.js';
import { migrationsFolder } from './migrations.js';

export interface PgliteHandle {
  client: PGlite;
  db: Database;
  provider: DatabaseProvider;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** `dataDir` keeps the database on disk; `loadDataDir` starts from a dump (tests). */
export async function openPglite(options: { dataDir?: string; loadDataDir?: Blob | File } = {}): Promise<PgliteHandle> {
  const client = await PGlite.create({ dataDir: options.dataDir, loadDataDir: options.loadDataDir, extensions: { vector } });
  const db = drizzle({ client, schema }) as unknown as Database;
  return {
    client,
    db,
    // One connection for the process: PGlite queues transactions itself.
    provider: { open: () => ({ db, close: async () => {} }) },
    migrate: () => migrate(db as never, { migrationsFolder }),
    close: () => client.close(),
  };
}
