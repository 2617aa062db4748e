// The batched runner loop: claim many jobs in one call, and store results
// and finalize many jobs in one call, each job still all or nothing.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { type RunnerCalls, selectAll, startRunnerWorld } from '../support/execution.js';
import { accept, manifest, select, text, upload } from '../support/freshness.js';
import { type TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
let r: RunnerCalls;
let n = 0;

beforeAll(async () => { ({ env, org, r } = await startRunnerWorld()); });
afterAll(() => env.close());

/** A project with `count` notes and one gate, and one single-item job per note. */
async function queue(count: number) {
  n += 1;
  const slug = `batch-${n}`;
  await env.createProject(org.ownerToken, { slug });
  const notes = await Promise.all(Array.from({ length: count }, (_, i) => text(`kb/notes/n${i}.md`, `# N${i}\n\nbody ${i}\n`)));
  const gate = await text('kb/gates/g.md', '# G\n');
  await upload(env, org.ownerToken, slug, [...notes, gate]);
  const made = await r.create(slug, { model_partition: 'm', batch_size: 1, select: selectAll(notes, [gate]) });
  expect(made.status, made.text).toBe(201);
  return { slug, notes, gate };
}

const claimBatch = (body: Record<string, unknown>) => env.request('POST', '/v1/jobs/claim/batch', { token: org.ownerToken, body: { runner: 'exec', ...body } });
const finalizeBatch = (jobs: unknown[]) => env.request('POST', '/v1/jobs/finalize/batch', { token: org.ownerToken, body: { jobs } });
const passAll = (claimed: any) => ({
  job: claimed.job.id, lease_id: claimed.lease.id,
  results: claimed.items.map((i: any) => ({ item: i.id, outcome: 'pass', artifact: `## Result: PASS\n${i.note_path}` })),
});

describe('claim in batches', () => {
  it('claims up to max_jobs in queue order, each with its texts and a lease; an empty queue is an empty list', async () => {
    const { slug, notes, gate } = await queue(5);
    const first = await claimBatch({ projects: [slug], max_jobs: 3, worker: 'w1' });
    expect(first.status, first.text).toBe(200);
    expect(first.json.jobs).toHaveLength(3);
    for (const c of first.json.jobs) {
      expect(c.job).toMatchObject({ status: 'running', lease_owner: 'w1', project: slug });
      expect(c.items).toHaveLength(1);
      expect(c.items[0].gate_text).toBe(gate.body);
      expect(notes.map((x) => x.body)).toContain(c.items[0].note_text);
    }
    expect(new Set(first.json.jobs.map((c: any) => c.lease.id)).size).toBe(1);
    const rest = await claimBatch({ projects: [slug], max_jobs: 10 });
    expect(rest.json.jobs).toHaveLength(2);
    const ids = [...first.json.jobs, ...rest.json.jobs].map((c: any) => c.job.id);
    expect(new Set(ids).size).toBe(5);
    expect((await claimBatch({ projects: [slug] })).json).toEqual({ jobs: [] });
  });

  it('refuses max_jobs out of range, naming the field', async () => {
    const reply = await claimBatch({ max_jobs: 101 });
    expect(reply.status).toBe(422);
    expect(reply.json.errors[0].path).toBe('body.max_jobs');
  });
});

describe('finalize in batches', () => {
  it('stores every result and finalizes every job in one call; the pairs are fresh; the same call again is a replay', async () => {
    const { slug, notes, gate } = await queue(4);
    const claimed = (await claimBatch({ projects: [slug], max_jobs: 4 })).json.jobs;
    const body = claimed.map(passAll);
    const done = await finalizeBatch(body);
    expect(done.status, done.text).toBe(200);
    expect(done.json.jobs.map((j: any) => [j.job_id, j.job.status, j.problem])).toEqual(claimed.map((c: any) => [c.job.id, 'succeeded', null]));
    expect(done.json.jobs[0].job.items[0]).toMatchObject({ status: 'done', outcome: 'pass', has_artifact: true, completed_at: expect.any(String) });
    const fresh = await select(env, org.ownerToken, slug, { model_partition: 'm', notes: manifest(notes), gates: manifest([gate]) });
    expect(fresh.json.counts).toMatchObject({ fresh: 4, stale: 0, missing: 0 });
    const again = await finalizeBatch(body);
    expect(again.json.jobs.every((j: any) => j.job.replayed && j.job.status === 'succeeded')).toBe(true);
    const artifact = await env.request('GET', `/v1/jobs/${claimed[0].job.id}/items/${claimed[0].items[0].id}/artifact`, { token: org.ownerToken });
    expect(artifact.json.artifact).toBe(`## Result: PASS\n${claimed[0].items[0].note_path}`);
  });

  it('a refused entry writes nothing and does not stop the others', async () => {
    const { slug } = await queue(3);
    const [a, b, c] = (await claimBatch({ projects: [slug], max_jobs: 3 })).json.jobs;
    const unknownJob = crypto.randomUUID();
    const reply = await finalizeBatch([
      passAll(a),
      { ...passAll(b), lease_id: crypto.randomUUID() },
      { job: unknownJob, lease_id: crypto.randomUUID() },
      { ...passAll(c), results: [{ item: crypto.randomUUID(), outcome: 'pass', artifact: 'x' }] },
    ]);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.jobs.map((j: any) => j.job?.status ?? j.problem.code)).toEqual(['succeeded', 'lease_lost', 'not_found', 'not_found']);
    expect(reply.json.jobs[1].problem).toMatchObject({ status: 409, type: 'urn:gatehouse:problem:lease_lost' });
    // b and c are untouched: still running, no result stored.
    for (const held of [b, c]) {
      const job = await r.get(held.job.id);
      expect(job.json).toMatchObject({ status: 'running' });
      expect(job.json.items[0]).toMatchObject({ status: 'pending', outcome: null });
    }
  });

  it('a vector the project cannot take refuses its own entry only, naming where it is; the single finalize names it too', async () => {
    const { slug } = await queue(4);
    const [a, b, c, d] = (await claimBatch({ projects: [slug], max_jobs: 4 })).json.jobs;
    const withVector = (claimed: any) => {
      const entry = passAll(claimed);
      entry.results[0] = { ...entry.results[0], embedding: { model: 'runner/model-1', vector: [1, 0, 0] } };
      return entry;
    };
    // The project embeds on the server, so a runner's vector is refused: a's entry only.
    // A lost lease is said first: the runner must learn it no longer holds d.
    const reply = await finalizeBatch([withVector(a), passAll(b), { ...withVector(d), lease_id: crypto.randomUUID() }]);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.jobs[2].problem.code).toBe('lease_lost');
    expect(reply.json.jobs[1].job.status).toBe('succeeded');
    expect(reply.json.jobs[0].job).toBeNull();
    expect(reply.json.jobs[0].problem).toMatchObject({ status: 422, code: 'validation_failed', errors: [{ path: 'body.jobs.0.results.0.embedding' }] });
    const held = await r.get(a.job.id);
    expect(held.json).toMatchObject({ status: 'running' });
    expect(held.json.items[0]).toMatchObject({ status: 'pending', outcome: null });
    const single = await env.request('POST', `/v1/jobs/${c.job.id}/finalize`, { token: org.ownerToken, body: { lease_id: c.lease.id, results: withVector(c).results } });
    expect(single.status, single.text).toBe(422);
    expect(single.json.errors).toEqual([expect.objectContaining({ path: 'body.results.0.embedding' })]);
    expect((await r.get(c.job.id)).json.items[0]).toMatchObject({ status: 'pending' });
    const vectors = rowsOf<{ n: number }>(await env.database.db.execute(sql`select count(*)::int as n from embeddings where subject_id in (${a.items[0].id}, ${c.items[0].id})`));
    expect(vectors[0].n).toBe(0);
  });

  it('each job is all or nothing: a stale pair fails its own job only; an error result fails its own job only', async () => {
    const { slug, notes, gate } = await queue(3);
    const claimed = (await claimBatch({ projects: [slug], max_jobs: 3 })).json.jobs;
    const byNote = new Map(claimed.map((c: any) => [c.items[0].note_path, c]));
    // Someone accepts note 0's pair meanwhile: its job's expected revision is now stale.
    await accept(env, org, slug, 'm', [[notes[0], gate]]);
    const errored = byNote.get(notes[1].path) as any;
    const reply = await finalizeBatch(claimed.map((c: any) => (c === errored
      ? { ...passAll(c), results: [{ item: c.items[0].id, outcome: 'error', artifact: 'could not parse' }] }
      : passAll(c))));
    const status = new Map(reply.json.jobs.map((j: any) => [j.job.items[0].note_path, j.job]));
    expect(status.get(notes[0].path)).toMatchObject({ status: 'failed', error: { code: 'stale_baseline_revision' } });
    expect(status.get(notes[1].path)).toMatchObject({ status: 'failed', error: { code: 'item_error' } });
    expect(status.get(notes[2].path)).toMatchObject({ status: 'succeeded', error: null });
    const reviews = rowsOf<{ note_path: string }>(await env.database.db.execute(sql`
      select note_path from acceptance_events where job_id is not null and project_id = (select id from projects where slug = ${slug} and org_id = ${org.id})`));
    expect(reviews.map((e) => e.note_path)).toEqual([notes[2].path]);
  });

  it('the single finalize may carry the results too', async () => {
    const { slug } = await queue(1);
    const claimed = (await r.claim({ projects: [slug] })).json;
    const { job: _job, ...body } = passAll(claimed);
    const done = await env.request('POST', `/v1/jobs/${claimed.job.id}/finalize`, { token: org.ownerToken, body });
    expect(done.status, done.text).toBe(200);
    expect(done.json).toMatchObject({ status: 'succeeded', replayed: false });
    const changed = { ...body, results: [{ item: claimed.items[0].id, outcome: 'fail', artifact: 'other' }] };
    const refused = await env.request('POST', `/v1/jobs/${claimed.job.id}/finalize`, { token: org.ownerToken, body: changed });
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('job_finalized');
  });

  it('refuses a job listed twice and an item listed twice, naming where', async () => {
    const id = crypto.randomUUID();
    const lease = crypto.randomUUID();
    const twice = await finalizeBatch([{ job: id, lease_id: lease }, { job: id, lease_id: lease }]);
    expect(twice.status).toBe(422);
    expect(twice.json.errors.map((e: any) => e.path)).toContain('body.jobs.1.job');
    const item = { item: crypto.randomUUID(), outcome: 'pass', artifact: 'x' };
    const dup = await finalizeBatch([{ job: id, lease_id: lease, results: [item, item] }]);
    expect(dup.json.errors.map((e: any) => e.path)).toContain('body.jobs.0.results.1.item');
  });

  it('another org\'s jobs are not found, and nothing of them changes', async () => {
    const { slug } = await queue(1);
    const [mine] = (await claimBatch({ projects: [slug], max_jobs: 1 })).json.jobs;
    const other = await env.createOrg();
    const reply = await env.request('POST', '/v1/jobs/finalize/batch', { token: other.ownerToken, body: { jobs: [passAll(mine)] } });
    expect(reply.json.jobs[0].problem.code).toBe('not_found');
    expect((await r.get(mine.job.id)).json.items[0].status).toBe('pending');
    const theirs = await env.request('POST', '/v1/jobs/claim/batch', { token: other.ownerToken, body: { runner: 'exec', max_jobs: 10 } });
    expect(theirs.json.jobs).toEqual([]);
  });
});
