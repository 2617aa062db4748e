// Execution through the Worker entry inside workerd: create, claim with a
// long-poll, results, finalize, and the cron trigger's lease reaper.
import { env, exports } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/freshness/names.js';
import { rowsOf } from '../../src/platform/db.js';
import { neonPool } from '../../src/platform/drivers/neon.js';
import { call, createOrg, operatorToken, unique, type OrgFixture } from './client.js';

let org: OrgFixture;
let project: string;
const file = async (path: string, body: string) => ({ path, body, sha256: await sha256Hex(new TextEncoder().encode(body)) });

beforeAll(async () => {
  org = await createOrg(await operatorToken());
  project = unique('exec');
  await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug: project } });
});

describe('execution in workerd', () => {
  it('creates a job from a select, a runner claims, reports and finalizes; the pair is then fresh', async () => {
    const note = await file('kb/notes/a.md', '# A\n');
    const gate = await file('kb/gates/g.md', '# G\n');
    await call('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, body: { files: [note, gate] } });
    const manifests = { notes: [{ path: note.path, sha256: note.sha256 }], gates: [{ path: gate.path, sha256: gate.sha256 }] };
    const made = await call('POST', `/v1/projects/${project}/jobs`, { token: org.ownerToken, body: { runner: 'exec', model_partition: 'm', select: manifests } });
    expect(made.status, made.text).toBe(201);
    const claimed = await call('POST', '/v1/jobs/claim', { token: org.ownerToken, body: { runner: 'exec', projects: [project], wait_seconds: 2 } });
    expect(claimed.status, claimed.text).toBe(200);
    expect(claimed.json.items[0].note_text).toBe(note.body);
    const { job, lease, items } = claimed.json;
    const result = await call('PUT', `/v1/jobs/${job.id}/items/${items[0].id}/result`, { token: org.ownerToken, body: { lease_id: lease.id, outcome: 'pass', artifact: '## Result: PASS' } });
    expect(result.status, result.text).toBe(200);
    const done = await call('POST', `/v1/jobs/${job.id}/finalize`, { token: org.ownerToken, body: { lease_id: lease.id } });
    expect(done.json.status).toBe('succeeded');
    const selected = await call('POST', `/v1/projects/${project}/freshness`, { token: org.ownerToken, body: { model_partition: 'm', ...manifests } });
    expect(selected.json.counts).toMatchObject({ fresh: 1, total: 1 });
    expect((await call('POST', '/v1/jobs/claim', { token: org.ownerToken, body: { runner: 'exec', projects: [project], wait_seconds: 1 } })).status).toBe(204);
  });

  it('a release gives the job back to the queue unharmed, and the next claim gets it', async () => {
    const note = await file('kb/notes/released.md', '# Released\n');
    const gate = await file('kb/gates/g.md', '# G\n');
    await call('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, body: { files: [note, gate] } });
    const select = { notes: [{ path: note.path, sha256: note.sha256 }], gates: [{ path: gate.path, sha256: gate.sha256 }] };
    expect((await call('POST', `/v1/projects/${project}/jobs`, { token: org.ownerToken, body: { runner: 'released', model_partition: 'm', select } })).status).toBe(201);
    const claim = () => call('POST', '/v1/jobs/claim', { token: org.ownerToken, body: { runner: 'released', projects: [project], wait_seconds: 1 } });
    const first = (await claim()).json;
    const released = await call('POST', `/v1/jobs/${first.job.id}/release`, { token: org.ownerToken, body: { lease_id: first.lease.id } });
    expect(released.status, released.text).toBe(200);
    expect(released.json).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await claim()).json.job.id).toBe(first.job.id);
  });

  it('batched: claim/batch takes several jobs, finalize/batch stores their results and finalizes them together', async () => {
    const gate = await file('kb/gates/g.md', '# G\n');
    const notes = await Promise.all([1, 2, 3].map((i) => file(`kb/notes/batch-${i}.md`, `# Batch ${i}\n`)));
    await call('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, body: { files: [...notes, gate] } });
    const manifests = { notes: notes.map((n) => ({ path: n.path, sha256: n.sha256 })), gates: [{ path: gate.path, sha256: gate.sha256 }] };
    await call('POST', `/v1/projects/${project}/jobs`, { token: org.ownerToken, body: { runner: 'batch', model_partition: 'm', batch_size: 1, select: manifests } });
    const claimed = await call('POST', '/v1/jobs/claim/batch', { token: org.ownerToken, body: { runner: 'batch', projects: [project], max_jobs: 10 } });
    expect(claimed.status, claimed.text).toBe(200);
    expect(claimed.json.jobs).toHaveLength(3);
    const jobs = claimed.json.jobs.map((c: any) => ({ job: c.job.id, lease_id: c.lease.id, results: c.items.map((i: any) => ({ item: i.id, outcome: 'pass', artifact: 'ok' })) }));
    const done = await call('POST', '/v1/jobs/finalize/batch', { token: org.ownerToken, body: { jobs } });
    expect(done.status, done.text).toBe(200);
    expect(done.json.jobs.map((j: any) => j.job.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const selected = await call('POST', `/v1/projects/${project}/freshness`, { token: org.ownerToken, body: { model_partition: 'm', ...manifests } });
    expect(selected.json.counts).toMatchObject({ fresh: 3, total: 3 });
  });

  it('hostile input on the Worker: a tampered jobs cursor and deep telemetry are 422s, a made-up lease on a finished job learns nothing', async () => {
    const list = (cursor: string) => call('GET', `/v1/projects/${project}/jobs?limit=2&cursor=${encodeURIComponent(cursor)}`, { token: org.ownerToken });
    const first = await call('GET', `/v1/projects/${project}/jobs?limit=2`, { token: org.ownerToken });
    expect((await list(first.json.next_cursor)).status).toBe(200); // the Neon driver's timestamps make valid cursors too
    for (const cursor of ['x|y', btoa(JSON.stringify('x|y')), btoa('5'), btoa('not json')]) {
      const reply = await list(cursor);
      expect(reply.status, reply.text).toBe(422);
      expect(reply.json).toMatchObject({ code: 'invalid_cursor', errors: [{ path: 'query.cursor' }] });
    }
    const finished = first.json.items.find((j: any) => j.status === 'succeeded');
    const made = await call('POST', `/v1/jobs/${finished.id}/finalize`, { token: org.ownerToken, body: { lease_id: crypto.randomUUID() } });
    expect(made.status, made.text).toBe(409);
    expect(made.json.items).toBeUndefined();
    let telemetry: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 100; i++) telemetry = { d: telemetry };
    const deep = await call('PUT', `/v1/jobs/${finished.id}/items/${crypto.randomUUID()}/result`, { token: org.ownerToken, body: { lease_id: crypto.randomUUID(), outcome: 'pass', artifact: 'x', telemetry } });
    expect(deep.status, deep.text).toBe(422);
    expect(deep.json.errors.map((e: any) => e.path)).toEqual(['body.telemetry']);
  });

  it('the cron trigger puts an expired lease back in the queue', async () => {
    const note = await file('kb/notes/b.md', '# B\n');
    const gate = await file('kb/gates/g.md', '# G\n');
    await call('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, body: { files: [note, gate] } });
    await call('POST', `/v1/projects/${project}/jobs`, { token: org.ownerToken, body: { runner: 'cron', model_partition: 'm', items: [{ note_path: note.path, note_sha256: note.sha256, gate_path: gate.path, gate_sha256: gate.sha256 }] } });
    const claimed = await call('POST', '/v1/jobs/claim', { token: org.ownerToken, body: { runner: 'cron', projects: [project] } });
    const { pool, db } = neonPool({ connectionString: env.DATABASE_URL!, wsProxy: env.GATEHOUSE_WS_PROXY });
    try {
      await db.execute(sql`update review_jobs set lease_expires_at = now() - interval '1 second' where id = ${claimed.json.job.id}`);
      await exports.default.scheduled({ cron: '*/5 * * * *' });
    } finally {
      await pool.end();
    }
    const job = await call('GET', `/v1/jobs/${claimed.json.job.id}`, { token: org.ownerToken });
    expect(job.json).toMatchObject({ status: 'queued', attempts: 1, lease_owner: null });
  });

  it('an abandoned long-poll claim holds the job it took for at most a minute, then the next claim gets it', async () => {
    const note = await file('kb/notes/c.md', '# C\n');
    const gate = await file('kb/gates/g.md', '# G\n');
    await call('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, body: { files: [note, gate] } });
    // A runner long-polls with a half-hour lease and goes away (Ctrl-C): on
    // the Worker nothing stops the poll, so it still takes the job created
    // meanwhile; its answer is never read by anyone.
    const abandoned = call('POST', '/v1/jobs/claim', { token: org.ownerToken, body: { runner: 'gone', projects: [project], lease_seconds: 1800, wait_seconds: 5 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await call('POST', `/v1/projects/${project}/jobs`, { token: org.ownerToken, body: { runner: 'gone', model_partition: 'm', items: [{ note_path: note.path, note_sha256: note.sha256, gate_path: gate.path, gate_sha256: gate.sha256 }] } });
    const taken = await abandoned;
    expect(taken.status, taken.text).toBe(200);
    const { pool, db } = neonPool({ connectionString: env.DATABASE_URL!, wsProxy: env.GATEHOUSE_WS_PROXY });
    try {
      const [row] = rowsOf<{ short: boolean }>(await db.execute(sql`select lease_expires_at <= now() + interval '60 seconds' as short from review_jobs where id = ${taken.json.job.id}`));
      expect(row.short).toBe(true);
      // A minute passes with no heartbeat.
      await db.execute(sql`update review_jobs set lease_expires_at = lease_expires_at - interval '61 seconds' where id = ${taken.json.job.id}`);
    } finally {
      await pool.end();
    }
    const next = await call('POST', '/v1/jobs/claim', { token: org.ownerToken, body: { runner: 'gone', projects: [project], lease_seconds: 1800 } });
    expect(next.status, next.text).toBe(200);
    expect(next.json.job).toMatchObject({ id: taken.json.job.id, attempts: 1 });
  });
});
