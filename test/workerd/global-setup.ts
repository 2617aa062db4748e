// Node-side setup for the workerd suite (runs in Node, before workerd starts).
//
// workerd cannot open raw TCP to PostgreSQL the way `pg` does, and it cannot
// run the migrator (that reads ./migrations from disk). So, here in Node:
//   1. create a fresh database and migrate it with node-postgres;
//   2. start the WebSocket-to-TCP proxy the Neon driver talks to;
//   3. generate a signing key for this run.
// The values reach the Worker as bindings: vitest.workerd.config.ts passes
// a function to cloudflareTest(), and the plugin calls it with `inject` after
// this setup has run (CloudflarePoolWorker.start -> project.getProvidedContext).
import type { TestProject } from 'vitest/node';
import { openNodePostgres } from '../../src/platform/drivers/node-postgres.js';
import { generateSigningKeyJson } from '../../src/tenancy/auth/keys.js';
import { adminQuery, databaseUrl, dropDatabase, postgresReachable } from '../support/postgres.js';
import { startWsProxy } from '../support/ws-proxy.js';
import './provided.js';

export default async function setup(project: TestProject) {
  if (!(await postgresReachable())) {
    throw new Error('test:workerd needs PostgreSQL with pgvector on 127.0.0.1:5432 (run scripts/setup-postgres.sh)');
  }
  // One database per run; the pid keeps concurrent runs (and the Node suite's
  // gatehouse_tmpl_<pid>) apart. Drop first in case a crashed run left it.
  const name = `gatehouse_workerd_${process.pid}`;
  await dropDatabase(name);
  await adminQuery(`create database "${name}"`);

  // Everything after the database exists must undo it if a later step fails,
  // because vitest only calls the teardown when setup returned normally.
  let proxy: Awaited<ReturnType<typeof startWsProxy>> | undefined;
  try {
    const handle = openNodePostgres(databaseUrl(name), 1);
    try {
      await handle.migrate();
    } finally {
      await handle.close();
    }
    proxy = await startWsProxy();
    const signingKey = await generateSigningKeyJson();

    // databaseUrl() carries postgres:postgres (the Neon driver insists on a
    // password; trust auth ignores it) and ?sslmode=disable.
    project.provide('workerdDatabaseUrl', databaseUrl(name));
    project.provide('workerdWsProxy', proxy.address);
    project.provide('workerdSigningKey', signingKey);
    // Deliberately different from wrangler.toml's [vars], so the suite proves
    // the test bindings are what the Worker actually sees.
    project.provide('workerdIssuer', 'gatehouse-workerd-test');
    project.provide('workerdAudience', 'gatehouse-workerd-test');
  } catch (error) {
    await proxy?.close();
    await dropDatabase(name);
    throw error;
  }

  return async () => {
    await proxy?.close();
    // `with (force)` ends any Neon pool connection workerd left open.
    await dropDatabase(name);
  };
}
