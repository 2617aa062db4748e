// Once per test run: migrate a database once and hand its location to every
// test file. PGlite: a dumped data dir each file loads. PostgreSQL: a template
// database each file copies, and the WebSocket proxy the Neon driver needs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openNodePostgres } from '../../src/platform/drivers/node-postgres.js';
import { openPglite } from '../../src/platform/drivers/pglite.js';
import { databaseUrl, dropDatabase, adminQuery } from './postgres.js';
import { startWsProxy } from './ws-proxy.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testDb: 'pglite' | 'pg';
    pgliteDump: string;
    pgTemplate: string;
    wsProxy: string;
  }
}

export default async function setup(project: TestProject) {
  const kind = (project.config.env?.GATEHOUSE_TEST_DB ?? process.env.GATEHOUSE_TEST_DB ?? 'pglite') as 'pglite' | 'pg';
  project.provide('testDb', kind);
  if (kind === 'pglite') {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-test-'));
    const handle = await openPglite();
    await handle.migrate();
    const dump = await handle.client.dumpDataDir('none');
    await handle.close();
    const file = join(dir, 'migrated.tar');
    await writeFile(file, Buffer.from(await dump.arrayBuffer()));
    project.provide('pgliteDump', file);
    project.provide('pgTemplate', '');
    project.provide('wsProxy', '');
    return async () => { await rm(dir, { recursive: true, force: true }); };
  }
  const template = `gatehouse_tmpl_${process.pid}`;
  await dropDatabase(template);
  await adminQuery(`create database "${template}"`);
  const handle = openNodePostgres(databaseUrl(template), 1);
  await handle.migrate();
  await handle.close();
  const proxy = await startWsProxy();
  project.provide('pgTemplate', template);
  project.provide('wsProxy', proxy.address);
  project.provide('pgliteDump', '');
  return async () => {
    await proxy.close();
    await dropDatabase(template);
  };
}
