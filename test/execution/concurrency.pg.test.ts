// Runners racing on PostgreSQL: disjoint claims, lost leases, finalize
// against an ack, concurrent creates.
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { accept, text, upload } from '../support/freshness.js';
import { runnerCalls, selectAll } from '../support/execution.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
let r: ReturnType<typeof runnerCalls>;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  r = runnerCalls(env, org.ownerToken);
});
afterAll(() => env.close());

/** A new project with one note and one gate, and the one job that reviews them queued. */
async function queueOneJob(slug: string) {
  await env.createProject(org.ownerToken, { slug });
  const note = await text('kb/notes/a.md', 'a');
  const gate = await text('kb/gates/g.md', 'g');
  await upload(env, org.ownerToken, slug, [note, gate]);
  await r.create(slug, { model_partition: 'm', select: selectAll([note], [gate]) });
}

const count = async (query: ReturnType<typeof sql>) => rowsOf<{ n: number }>(await env.database.db.execute(query))[0].n;

describe('runners racing', () => {
  it('8 concurrent claimers over 500 jobs: disjoint jobs, every job terminal, no result lost', async () => {
    await env.createProject(org.ownerToken, { slug: 'swarm' });
    const notes = await Promise.all(Array.from({ length: 500 }, (_, i) => text(`kb/notes/n${i}.md`, `note ${i}`)));
    const gate = await text('kb/gates/g.md', 'gate');
    await upload(env, org.ownerToken, 'swarm', [...notes, gate]);
    const made = await r.create('swarm', { model_partition: 'm', select: selectAll(notes, [gate]) });
    expect(made.json.jobs).toHaveLength(500);

    const claimedBy = new Map<string, number>();
    let doubles = 0;
    const runner = async (id: number) => {
      for (;;) {
        const claimed = await r.claim({ projects: ['swarm'], worker: `runner-${id}` });
        if (claimed.status === 204) return;
        expect(claimed.status).toBe(200);
        const { job, lease, items } = claimed.json;
        if (claimedBy.has(job.id)) doubles += 1;
        claimedBy.set(job.id, id);
        for (const item of items) expect((await r.result(job.id, item.id, lease.id)).status).toBe(200);
        expect((await r.finalize(job.id, lease.id)).json.status).toBe('succeeded');
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => runner(i)));
    expect(doubles).toBe(0);
    expect(claimedBy.size).toBe(500);
    expect(new Set(claimedBy.values()).size).toBeGreaterThan(1);
    expect(await count(sql`select count(*)::int as n from review_jobs where status <> 'succeeded' and project_id = (select id from projects where slug = 'swarm')`)).toBe(0);
    expect(await count(sql`select count(*)::int as n from review_job_items where status <> 'done' and project_id = (select id from projects where slug = 'swarm')`)).toBe(0);
    expect(await count(sql`select count(*)::int as n from acceptance_events where kind = 'review' and project_id = (select id from projects where slug = 'swarm')`)).toBe(500);
  }, 120_000);

  it('8 concurrent batch claimers over 500 jobs (claim/batch + finalize/batch): disjoint, all terminal, none lost', async () => {
    await env.createProject(org.ownerToken, { slug: 'swarm-batch' });
    const notes = await Promise.all(Array.from({ length: 500 }, (_, i) => text(`kb/notes/n${i}.md`, `note ${i}`)));
    const gate = await text('kb/gates/g.md', 'gate');
    await upload(env, org.ownerToken, 'swarm-batch', [...notes, gate]);
    expect((await r.create('swarm-batch', { model_partition: 'm', select: selectAll(notes, [gate]) })).json.jobs).toHaveLength(500);

    const claimedBy = new Map<string, number>();
    let doubles = 0;
    const runner = async (id: number) => {
      for (;;) {
        const claimed = await env.request('POST', '/v1/jobs/claim/batch', { token: org.ownerToken, body: { runner: 'exec', projects: ['swarm-batch'], worker: `runner-${id}`, max_jobs: 7 } });
        expect(claimed.status).toBe(200);
        if (claimed.json.jobs.length === 0) return;
        for (const c of claimed.json.jobs) {
          if (claimedBy.has(c.job.id)) doubles += 1;
          claimedBy.set(c.job.id, id);
        }
        const done = await env.request('POST', '/v1/jobs/finalize/batch', { token: org.ownerToken, body: { jobs: claimed.json.jobs.map((c: any) => ({
          job: c.job.id, lease_id: c.lease.id, results: c.items.map((i: any) => ({ item: i.id, outcome: 'pass', artifact: 'ok' })),
        })) } });
        expect(done.json.jobs.map((j: any) => j.job?.status)).toEqual(claimed.json.jobs.map(() => 'succeeded'));
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => runner(i)));
    expect(doubles).toBe(0);
    expect(claimedBy.size).toBe(500);
    const project = sql`(select id from projects where slug = 'swarm-batch')`;
    expect(await count(sql`select count(*)::int as n from review_jobs where status <> 'succeeded' and project_id = ${project}`)).toBe(0);
    expect(await count(sql`select count(*)::int as n from review_job_items where status <> 'done' and project_id = ${project}`)).toBe(0);
    expect(await count(sql`select count(*)::int as n from acceptance_current where revision = 1 and project_id = ${project}`)).toBe(500);
  }, 120_000);

  it('a runner that stops heartbeating loses its lease; another finishes the job', async () => {
    await queueOneJob('crash');
    const crashed = (await r.claim({ projects: ['crash'], worker: 'doomed', lease_seconds: 10 })).json;
    // The runner dies: no heartbeat, and its lease runs out.
    await env.database.db.execute(sql`update review_jobs set lease_expires_at = now() - interval '1 second' where id = ${crashed.job.id}`);
    const rescued = (await r.claim({ projects: ['crash'], worker: 'rescuer' })).json;
    expect(rescued.job).toMatchObject({ id: crashed.job.id, attempts: 1, lease_owner: 'rescuer' });
    expect((await r.heartbeat(crashed.job.id, crashed.lease.id)).status).toBe(409);
    expect((await r.result(crashed.job.id, crashed.items[0].id, crashed.lease.id)).status).toBe(409);
    await r.result(rescued.job.id, rescued.items[0].id, rescued.lease.id);
    expect((await r.finalize(rescued.job.id, rescued.lease.id)).json.status).toBe('succeeded');
    // The crashed runner's lease is not the job's last one: it learns only that its lease is gone (issue 16, finding 3).
    expect((await r.finalize(crashed.job.id, crashed.lease.id)).json).toMatchObject({ status: 409, code: 'lease_lost' });
    expect((await r.finalize(rescued.job.id, rescued.lease.id)).json).toMatchObject({ status: 'succeeded', replayed: true });
  });

  it('a finalize that waits on the job lock reads the items as they are after the wait: a result stored meanwhile counts', async () => {
    await queueOneJob('lock-wait');
    const { job, lease, items } = (await r.claim({ projects: ['lock-wait'] })).json;
    // Another transaction holds the job, as PUT …/result does, and stores the item's result.
    const other = new pg.Client({ connectionString: env.database.url! });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('select id from review_jobs where id = $1 for update', [job.id]);
      await other.query(`update review_job_items set status = 'done', outcome = 'pass', artifact = 'ok', completed_at = now() where id = $1`, [items[0].id]);
      const finalizing = r.finalize(job.id, lease.id);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await other.query('commit');
      const finalized = await finalizing;
      expect(finalized.json, finalized.text).toMatchObject({ status: 'succeeded', error: null });
      expect(finalized.json.items[0]).toMatchObject({ status: 'done', outcome: 'pass' });
    } finally {
      await other.end();
    }
  });

  it('finalize racing an ack on the same pair: exactly one wins, the other gets stale_baseline_revision', async () => {
    for (let round = 0; round < 4; round++) {
      const slug = `race-${round}`;
      await env.createProject(org.ownerToken, { slug });
      const v1 = await text('kb/notes/a.md', 'v1');
      const v2 = await text('kb/notes/a.md', 'v2');
      const gate = await text('kb/gates/g.md', 'g');
      await upload(env, org.ownerToken, slug, [v1, v2, gate]);
      await accept(env, org, slug, 'm', [[v1, gate]]);
      await r.create(slug, { model_partition: 'm', select: selectAll([v2], [gate]) });
      const { job, lease, items } = (await r.claim({ projects: [slug] })).json;
      await r.result(job.id, items[0].id, lease.id);
      const [finalized, acked] = await Promise.all([
        r.finalize(job.id, lease.id),
        env.request('POST', `/v1/projects/${slug}/acks`, { token: org.ownerToken, body: { model_partition: 'm', reason: 'race', pairs: [{ note_path: v2.path, note_sha256: v2.sha256, gate_path: gate.path, gate_sha256: gate.sha256, expected_revision: 1 }] } }),
      ]);
      const finalizeWon = finalized.json.status === 'succeeded';
      const ackWon = acked.status === 200;
      expect(finalizeWon !== ackWon, `round ${round}: finalize ${finalized.json.status}, ack ${acked.status}`).toBe(true);
      if (finalizeWon) expect(acked.json.code).toBe('stale_baseline_revision');
      else expect(finalized.json.error.code).toBe('stale_baseline_revision');
      const history = await env.request('GET', `/v1/projects/${slug}/acceptance?note_path=${v2.path}&gate_path=${gate.path}&model_partition=m`, { token: org.ownerToken });
      expect(history.json.items.map((e: any) => e.revision)).toEqual([2, 1]);
    }
  });

  it('concurrent creates from the same select queue each pair once', async () => {
    await env.createProject(org.ownerToken, { slug: 'dup' });
    const notes = await Promise.all(Array.from({ length: 20 }, (_, i) => text(`kb/notes/d${i}.md`, `d${i}`)));
    const gate = await text('kb/gates/g.md', 'g');
    await upload(env, org.ownerToken, 'dup', [...notes, gate]);
    const replies = await Promise.all(Array.from({ length: 4 }, () => r.create('dup', { model_partition: 'm', select: selectAll(notes, [gate]) })));
    expect(replies.map((x) => x.json.queued).reduce((a, b) => a + b, 0)).toBe(20);
    expect(await count(sql`select count(*)::int as n from review_job_items where project_id = (select id from projects where slug = 'dup')`)).toBe(20);
  });
});
