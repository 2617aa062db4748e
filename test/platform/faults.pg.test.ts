// Faults on PostgreSQL: the database going away under load (server-side
// kills of every connection, and the network to it cut for a while), and a
// connection dropped in the middle of a finalize. Requests fail cleanly with
// 503 problem+json and the same app recovers by itself; nothing is half-written.
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ws from 'ws';
import { rowsOf } from '../../src/platform/db.js';
import { neonPool } from '../../src/platform/drivers/neon.js';
import { openNodePostgres } from '../../src/platform/drivers/node-postgres.js';
import type { TestDatabase } from '../support/db.js';
import { runnerCalls, selectAll } from '../support/execution.js';
import { manifest, text, upload } from '../support/freshness.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { adminQuery, createDatabaseFrom, databaseUrl, dropDatabase } from '../support/postgres.js';
import { startWsProxy, type WsProxy } from '../support/ws-proxy.js';

/** Kill every backend of one database from outside, as a server restart does (57P01 admin_shutdown). */
async function killBackends(database: string): Promise<number> {
  const res = await adminQuery(`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = '${database}' and pid <> pg_backend_pid()`);
  return res.rows[0].n;
}

/** A database of this file's own, through a driver of its own (and, for Neon, a proxy of its own to cut). */
async function ownDatabase(driver: 'neon' | 'node-postgres'): Promise<{ database: TestDatabase; name: string; proxy: WsProxy | null; checkedOut: () => number }> {
  const name = `gatehouse_f_${process.pid}_${driver.replace('-', '')}`;
  await dropDatabase(name);
  await createDatabaseFrom(inject('pgTemplate'), name);
  const url = databaseUrl(name);
  const proxy = driver === 'neon' ? await startWsProxy() : null;
  const handle = driver === 'neon'
    ? (({ pool, db }) => ({ db, end: () => pool.end(), pool: pool as { totalCount: number; idleCount: number } }))(neonPool({ connectionString: url, wsProxy: proxy!.address, webSocketConstructor: ws, max: 10 }))
    : (({ db, close, pool }) => ({ db, end: close, pool }))(openNodePostgres(url, 10));
  const database: TestDatabase = {
    kind: 'pg', db: handle.db, url,
    provider: { open: () => ({ db: handle.db, close: async () => {} }) },
    close: async () => { await handle.end().catch(() => {}); await proxy?.close(); await dropDatabase(name); },
  };
  // Connections handed out and never given back: each would be a slot the pool never gets back.
  return { database, name, proxy, checkedOut: () => handle.pool.totalCount - handle.pool.idleCount };
}

for (const driver of ['neon', 'node-postgres'] as const) {
  describe(`the database going away under load (${driver})`, () => {
    let env: TestEnv;
    let org: OrgFixture;
    let name: string;
    let proxy: WsProxy | null;
    let checkedOut: () => number;
    beforeAll(async () => {
      const own = await ownDatabase(driver);
      ({ name, proxy, checkedOut } = own);
      env = await TestEnv.start({ database: own.database });
      org = await env.createOrg();
      await env.createProject(org.ownerToken, { slug: 'load' });
    });
    afterAll(() => env.close());

    it('every request answers 2xx or 503 problem+json with Retry-After, and the same app recovers', async () => {
      const notes = await Promise.all(Array.from({ length: 40 }, (_, i) => text(`kb/notes/n${i}.md`, `note ${i}`)));
      const gate = await text('kb/gates/g.md', 'gate');
      await upload(env, org.ownerToken, 'load', [...notes, gate]);
      const statuses = new Map<number, number>();
      const bad: string[] = [];
      let stop = false;
      const loop = async (i: number) => {
        for (let n = 0; !stop; n++) {
          const reply = n % 3 === 0 ? await env.request('GET', '/v1/projects/load', { token: org.ownerToken })
            : n % 3 === 1 ? await env.request('POST', '/v1/projects/load/freshness', { token: org.ownerToken, body: { model_partition: 'm', ...selectAll(notes, [gate]) } })
              : await env.request('POST', '/v1/projects/load/snapshots', { token: org.ownerToken, body: { files: [await text(`kb/notes/w${i}-${n}.md`, `written ${i} ${n}`)] } });
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          if (reply.status === 503) {
            if (reply.headers.get('content-type') !== 'application/problem+json' || reply.json?.code !== 'unavailable' || !reply.headers.get('retry-after')) bad.push(reply.text);
          } else if (reply.status >= 300) bad.push(`${reply.status} ${reply.text.slice(0, 300)}`);
        }
      };
      const loops = Array.from({ length: 6 }, (_, i) => loop(i));
      await new Promise((r) => setTimeout(r, 500));
      let killed = await killBackends(name);
      await new Promise((r) => setTimeout(r, 300));
      if (proxy) {
        proxy.cut();
        await new Promise((r) => setTimeout(r, 500));
        proxy.restore();
      }
      killed += await killBackends(name);
      await new Promise((r) => setTimeout(r, 700));
      stop = true;
      await Promise.all(loops);
      expect(bad).toEqual([]);
      expect(killed).toBeGreaterThan(0);
      expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
      // Recovered, without restarting anything: a few clean requests in a row.
      for (let i = 0; i < 5; i++) expect((await env.request('GET', '/v1/projects/load', { token: org.ownerToken })).status).toBe(200);
      const fresh = await env.request('POST', '/v1/projects/load/freshness', { token: org.ownerToken, body: { model_partition: 'm', notes: manifest(notes), gates: manifest([gate]) } });
      expect(fresh.status).toBe(200);
      expect(checkedOut()).toBe(0);
    }, 60_000);
  });
}

describe('a connection dropped in the middle of a finalize', () => {
  let env: TestEnv;
  let org: OrgFixture;
  let name: string;
  beforeAll(async () => {
    const own = await ownDatabase('node-postgres');
    name = own.name;
    env = await TestEnv.start({ database: own.database });
    org = await env.createOrg();
  });
  afterAll(() => env.close());

  it('advances nothing; the retry succeeds', async () => {
    const r = runnerCalls(env, org.ownerToken);
    await env.createProject(org.ownerToken, { slug: 'drop' });
    const notes = await Promise.all([0, 1].map((i) => text(`kb/notes/n${i}.md`, `note ${i}`)));
    const gate = await text('kb/gates/g.md', 'gate');
    await upload(env, org.ownerToken, 'drop', [...notes, gate]);
    await r.create('drop', { model_partition: 'm', grouping: 'gate', select: selectAll(notes, [gate]) });
    const { job, lease, items } = (await r.claim({ projects: ['drop'] })).json;
    for (const item of items) await r.result(job.id, item.id, lease.id);

    // Another session holds the job's row lock, so the finalize stops inside its transaction; then its connection is killed.
    const blocker = new pg.Client({ connectionString: databaseUrl(name) });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('select 1 from review_jobs where id = $1 for update', [job.id]);
    const finalize = r.finalize(job.id, lease.id);
    let victims = 0;
    for (let tries = 0; tries < 50 && victims === 0; tries++) {
      await new Promise((res) => setTimeout(res, 100));
      const res = await adminQuery(`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = '${name}' and wait_event_type = 'Lock' and pid <> ${(blocker as unknown as { processID: number }).processID}`);
      victims = res.rows[0].n;
    }
    expect(victims).toBe(1);
    const dropped = await finalize;
    expect(dropped.status).toBe(503);
    expect(dropped.json.code).toBe('unavailable');
    await blocker.query('rollback');
    await blocker.end();

    const events = async () => rowsOf<{ n: number }>(await env.database.db.execute(sql`select count(*)::int as n from acceptance_events where job_id = ${job.id}`))[0].n;
    expect(await events()).toBe(0);
    expect((await r.get(job.id)).json.status).toBe('running');
    const retried = await r.finalize(job.id, lease.id);
    expect(retried.json.status).toBe('succeeded');
    expect(await events()).toBe(2);
  }, 30_000);
});
