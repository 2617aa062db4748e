// A fresh, migrated database for one test file, on whichever engine this
// run tests: PGlite (loaded from the dump) or PostgreSQL through the Neon driver.
import { readFile } from 'node:fs/promises';
import { inject } from 'vitest';
import ws from 'ws';
import type { DatabaseProvider } from '../../src/platform/context.js';
import type { Database } from '../../src/platform/db.js';
import { neonPool } from '../../src/platform/drivers/neon.js';
import { openPglite } from '../../src/platform/drivers/pglite.js';
import { createDatabaseFrom, databaseUrl, dropDatabase } from './postgres.js';

export interface TestDatabase {
  kind: 'pglite' | 'pg';
  /** The connecting role (superuser): bypasses RLS, for seeding and inspection. */
  db: Database;
  provider: DatabaseProvider;
  /** Connection string of this file's database (PostgreSQL only). */
  url: string | null;
  close(): Promise<void>;
}

export const testDbKind = (): 'pglite' | 'pg' => inject('testDb');

export async function openTestDatabase(): Promise<TestDatabase> {
  if (inject('testDb') === 'pglite') {
    const dump = await readFile(inject('pgliteDump'));
    const handle = await openPglite({ loadDataDir: new Blob([dump]) });
    return { kind: 'pglite', db: handle.db, provider: handle.provider, url: null, close: handle.close };
  }
  const name = `gatehouse_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await createDatabaseFrom(inject('pgTemplate'), name);
  const url = databaseUrl(name);
  const { pool, db } = neonPool({ connectionString: url, wsProxy: inject('wsProxy'), webSocketConstructor: ws, max: 10 });
  return {
    kind: 'pg',
    db,
    provider: { open: () => ({ db, close: async () => {} }) },
    url,
    close: async () => {
      await pool.end();
      await dropDatabase(name);
    },
  };
}
