// On Node over PostgreSQL, one dashboard request holds at most one pooled
// connection at a time (issue 17, item 18): the job page read each artifact
// in a transaction of its own, in parallel, and so held one connection per
// artifact (up to the pool's size) at once. The pool is node-postgres's, as
// `npm start` uses it with DATABASE_URL; checkouts are counted by its events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodePostgres } from '../../src/platform/drivers/node-postgres.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';
import { TestEnv } from '../support/harness.js';

let base: TestDatabase;
let handle: ReturnType<typeof openNodePostgres>;
let env: TestEnv;
let held = 0;
let peak = 0;

beforeAll(async () => {
  base = await openTestDatabase();
  handle = openNodePostgres(base.url!);
  handle.pool.on('acquire', () => { held += 1; peak = Math.max(peak, held); });
  handle.pool.on('release', () => { held -= 1; });
  env = await TestEnv.start({ database: { ...base, db: handle.db, provider: handle.provider, close: async () => { await handle.close(); await base.close(); } } });
});
afterAll(async () => { await env.close(); });

describe('pooled connections per dashboard request (PostgreSQL)', () => {
  it('the job page of a job with 12 artifacts holds one connection at a time', async () => {
    const org = await env.createOrg();
    await env.createProject(org.ownerToken, { slug: 'kb' });
    const gate = await env.uploadText(org.ownerToken, 'kb', 'kb/gates/g.md', '# G\n');
    const notes = [];
    for (let i = 0; i < 12; i++) notes.push(await env.uploadText(org.ownerToken, 'kb', `kb/notes/n${i}.md`, `# N${i}\n`));
    const select = { notes: notes.map((n) => ({ path: n.path, sha256: n.sha256 })), gates: [{ path: gate.path, sha256: gate.sha256 }] };
    const made = await env.request('POST', '/v1/projects/kb/jobs', { token: org.ownerToken, body: { runner: 'conn', model_partition: 'm', grouping: 'gate', select } });
    expect(made.status, made.text).toBe(201);
    const claimed = await env.request('POST', '/v1/jobs/claim', { token: org.ownerToken, body: { runner: 'conn', projects: ['kb'] } });
    const { job, lease, items } = claimed.json;
    expect(items).toHaveLength(12);
    const results = items.map((i: any) => ({ item: i.id, outcome: 'pass', artifact: `## Artifact ${i.ordinal}` }));
    expect((await env.request('POST', `/v1/jobs/${job.id}/finalize`, { token: org.ownerToken, body: { lease_id: lease.id, results } })).status).toBe(200);

    peak = 0;
    const page = await env.request('GET', `/ui/jobs/${job.id}`, { headers: { cookie: `gatehouse_session=${org.ownerToken}` } });
    expect(page.status, page.text.slice(0, 300)).toBe(200);
    expect(page.text.match(/<article/g)).toHaveLength(12);
    expect(peak).toBe(1);
  });
});
