// One suite, two databases: every test file runs on PGlite and, when a
// PostgreSQL server with pgvector is reachable, again on PostgreSQL through
// the Neon driver. `GATEHOUSE_TEST_DB=pglite|pg` picks one.
import { defineConfig } from 'vitest/config';
import { postgresReachable } from './test/support/postgres.js';

export default defineConfig(async () => {
  const only = process.env.GATEHOUSE_TEST_DB;
  const wantPg = only === 'pg' || (only !== 'pglite' && (await postgresReachable()));
  // CI (and anyone who sets GATEHOUSE_REQUIRE_PG=1) must not quietly lose the PostgreSQL half.
  const required = only === 'pg' || process.env.GATEHOUSE_REQUIRE_PG === '1';
  if (required && !wantPg) {
    throw new Error('No PostgreSQL with pgvector is reachable on 127.0.0.1:5432 (run scripts/setup-postgres.sh)');
  }
  const project = (name: 'pglite' | 'pg') => ({
    extends: true as const,
    test: {
      name,
      env: { GATEHOUSE_TEST_DB: name },
      include: ['test/**/*.test.ts'],
      // *.pg.test.ts need real concurrency: PostgreSQL only. *.pglite.test.ts
      // exercise the embedded default itself (the CLI end to end): PGlite only.
      exclude: ['test/workerd/**', ...(name === 'pglite' ? ['test/**/*.pg.test.ts'] : ['test/**/*.pglite.test.ts'])],
      globalSetup: ['test/support/global-setup.ts'],
    },
  });
  const projects = [];
  if (only !== 'pg') projects.push(project('pglite'));
  if (wantPg) projects.push(project('pg'));
  if (!wantPg) console.warn('vitest: no PostgreSQL with pgvector reachable; running on PGlite only');
  return {
    test: {
      projects,
      testTimeout: 60_000,
      hookTimeout: 120_000,
      pool: 'forks',
    },
  };
});
