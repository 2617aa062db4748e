import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { accept, manifest, select, text, upload, type Text } from '../support/freshness.js';
import { type RunnerCalls, runnerCalls, selectAll, startRunnerWorld } from '../support/execution.js';
import { type TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
let r: RunnerCalls;
let n = 0;

beforeAll(async () => { ({ env, org, r } = await startRunnerWorld()); });
afterAll(() => env.close());

async function kb(notesCount = 3, gatesCount = 2) {
  n += 1;
  const slug = `exec-${n}`;
  await env.createProject(org.ownerToken, { slug });
  const notes = await Promise.all(Array.from({ length: notesCount }, (_, i) => text(`kb/notes/n${i}.md`, `# N${i}\n\nbody ${i}\n`)));
  const gates = await Promise.all(Array.from({ length: gatesCount }, (_, i) => text(`kb/gates/g${i}.md`, `# G${i}\n`)));
  await upload(env, org.ownerToken, slug, [...notes, ...gates]);
  return { slug, notes, gates };
}

/** Claim the next job of a project and complete every item with `outcome`. */
async function work(project: string, outcome = 'pass', telemetry?: Record<string, unknown>) {
  const claimed = await r.claim({ projects: [project] });
  expect(claimed.status).toBe(200);
  const { job, lease, items } = claimed.json;
  for (const item of items) expect((await r.result(job.id, item.id, lease.id, outcome, undefined, telemetry)).status).toBe(200);
  return { job, lease, items, finalized: await r.finalize(job.id, lease.id) };
}

describe('creating jobs', () => {
  it('from a select: grouped by note, one item per stale or missing pair, with the expected revisions', async () => {
    const { slug, notes, gates } = await kb();
    await accept(env, org, slug, 'm', [[notes[0], gates[0]]]);
    const reply = await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates), context: { codebase: 'kb', host: 'laptop' } });
    expect(reply.status, reply.text).toBe(201);
    expect(reply.json).toMatchObject({ model_partition: 'm', queued: 5, skipped: [] });
    expect(reply.json.jobs.map((j: any) => j.items)).toEqual([1, 2, 2]);
    const first = await r.get(reply.json.jobs[0].id);
    expect(first.json).toMatchObject({ status: 'queued', context: { codebase: 'kb', host: 'laptop' }, runner: 'exec' });
    expect(first.json.items[0]).toMatchObject({ note_path: notes[0].path, gate_path: gates[1].path, expected_revision: null });
  });

  it('by gate with a batch size; a pair already in an open job is not queued twice, and says where it is', async () => {
    const { slug, notes, gates } = await kb(5, 2);
    const first = await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates), grouping: 'gate', batch_size: 2 });
    expect(first.json.jobs.map((j: any) => j.items)).toEqual([2, 2, 1, 2, 2, 1]);
    const again = await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) });
    expect(again.json.jobs).toEqual([]);
    expect(again.json.skipped).toHaveLength(10);
    expect(again.json.skipped[0].job_id).toEqual(expect.any(String));
  });

  it('from explicit items: texts must be held (422 naming them)', async () => {
    const { slug, notes, gates } = await kb(1, 1);
    const missing = await text('kb/notes/nope.md', 'not uploaded');
    const reply = await r.create(slug, { model_partition: 'm', items: [{ note_path: missing.path, note_sha256: missing.sha256, gate_path: gates[0].path, gate_sha256: gates[0].sha256 }] });
    expect(reply.status).toBe(422);
    expect(reply.json.missing_texts).toEqual([{ path: missing.path, sha256: missing.sha256 }]);
    const ok = await r.create(slug, { model_partition: 'm', items: [{ note_path: notes[0].path, note_sha256: notes[0].sha256, gate_path: gates[0].path, gate_sha256: gates[0].sha256 }] });
    expect(ok.status).toBe(201);
  });

  it('resolves the partition through an alias and the runner model from the registry, once, and stores both', async () => {
    const { slug, notes, gates } = await kb(1, 1);
    await env.request('POST', `/v1/projects/${slug}/registry/partitions`, { token: org.ownerToken, body: { model_partition: 'opus/high' } });
    await env.request('PUT', `/v1/projects/${slug}/registry/aliases/opus`, { token: org.ownerToken, body: { model_partition: 'opus/high' } });
    await env.request('PUT', `/v1/projects/${slug}/registry/runner-models/opus%2Fhigh/exec`, { token: org.ownerToken, body: { runner_model: 'opus-4', runner_effort: 'high' } });
    const reply = await r.create(slug, { model_partition: 'opus', select: selectAll(notes, gates) });
    expect(reply.json).toMatchObject({ model_partition: 'opus/high', requested_partition: 'opus', runner_model: 'opus-4', runner_effort: 'high', runner_model_source: 'registry' });
    await env.request('PUT', `/v1/projects/${slug}/registry/runner-models/opus%2Fhigh/exec`, { token: org.ownerToken, body: { runner_model: 'opus-5' } });
    const job = await r.get(reply.json.jobs[0].id);
    expect(job.json).toMatchObject({ runner_model: 'opus-4', model_partition: 'opus/high', requested_partition: 'opus' });
    // The alias is now in use: immutable.
    expect((await env.request('DELETE', `/v1/projects/${slug}/registry/aliases/opus`, { token: org.ownerToken })).status).toBe(409);
  });

  it('Idempotency-Key: a retried create returns the first answer and makes one set of jobs', async () => {
    const { slug, notes, gates } = await kb(2, 1);
    const headers = { 'idempotency-key': crypto.randomUUID() };
    const a = await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) }, headers);
    const b = await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) }, headers);
    expect(b.json).toEqual(a.json);
    const list = await env.request('GET', `/v1/projects/${slug}/jobs`, { token: org.ownerToken });
    expect(list.json.items).toHaveLength(2);
  });
});

describe('claim, results and finalize', () => {
  it('a clean job: claim gets the exact texts, results go in, finalize accepts every pair', async () => {
    const { slug, notes, gates } = await kb(1, 2);
    await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) });
    const claimed = await r.claim({ projects: [slug], worker: 'laptop:123' });
    expect(claimed.json.job).toMatchObject({ status: 'running', lease_owner: 'laptop:123' });
    expect(claimed.json.items[0]).toMatchObject({ note_text: notes[0].body, gate_text: gates[0].body, note_sha256: notes[0].sha256 });
    const { job, lease, items } = claimed.json;
    for (const item of items) await r.result(job.id, item.id, lease.id, 'warn', '## Result: WARN\nminor');
    const done = await r.finalize(job.id, lease.id);
    expect(done.json).toMatchObject({ status: 'succeeded', error: null });
    const fresh = await select(env, org.ownerToken, slug, { model_partition: 'm', notes: manifest(notes), gates: manifest(gates), include_fresh: true });
    expect(fresh.json.counts).toMatchObject({ fresh: 2, stale: 0, missing: 0 });
    const history = await env.request('GET', `/v1/projects/${slug}/acceptance?note_path=${notes[0].path}&gate_path=${gates[0].path}&model_partition=m`, { token: org.ownerToken });
    expect(history.json.items[0]).toMatchObject({ kind: 'review', outcome: 'warn', job_id: job.id, job_item_id: items[0].id, requested_partition: 'm' });
    const artifact = await env.request('GET', `/v1/jobs/${job.id}/items/${items[0].id}/artifact`, { token: org.ownerToken, headers: { accept: 'text/markdown' } });
    expect(artifact.text).toBe('## Result: WARN\nminor');
    // Finalizing again answers the same, and a different result is refused.
    expect((await r.finalize(job.id, lease.id)).json).toMatchObject({ status: 'succeeded', replayed: true });
    expect((await r.result(job.id, items[0].id, lease.id, 'warn', '## Result: WARN\nminor')).json.replayed).toBe(true);
    expect((await r.result(job.id, items[0].id, lease.id, 'fail')).status).toBe(409);
  });

  it('an error result fails the job and advances nothing', async () => {
    const { slug, notes, gates } = await kb(1, 2);
    await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) });
    const claimed = await r.claim({ projects: [slug] });
    const { job, lease, items } = claimed.json;
    await r.result(job.id, items[0].id, lease.id, 'pass');
    await r.result(job.id, items[1].id, lease.id, 'error', 'could not parse the output');
    const done = await r.finalize(job.id, lease.id);
    expect(done.json).toMatchObject({ status: 'failed', error: { code: 'item_error' } });
    const after = await select(env, org.ownerToken, slug, { model_partition: 'm', notes: manifest(notes), gates: manifest(gates) });
    expect(after.json.counts.missing).toBe(2);
  });

  it('missing results fail the job', async () => {
    const { slug, notes, gates } = await kb(1, 2);
    await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) });
    const { job, lease, items } = (await r.claim({ projects: [slug] })).json;
    await r.result(job.id, items[0].id, lease.id);
    expect((await r.finalize(job.id, lease.id)).json).toMatchObject({ status: 'failed', error: { code: 'incomplete' } });
  });

  it('a pair that moved on since the job was made fails the job with stale_baseline_revision, advancing nothing', async () => {
    const { slug, notes, gates } = await kb(2, 1);
    await r.create(slug, { model_partition: 'm', grouping: 'gate', select: selectAll(notes, gates) });
    // Someone else accepts one of the job's two pairs meanwhile.
    await accept(env, org, slug, 'm', [[notes[1], gates[0]]]);
    const { finalized } = await work(slug);
    expect(finalized.json).toMatchObject({ status: 'failed', error: { code: 'stale_baseline_revision' } });
    const events = rowsOf<{ n: number }>(await env.database.db.execute(sql`select count(*)::int as n from acceptance_events where note_path = ${notes[0].path} and project_id = (select id from projects where slug = ${slug} and org_id = ${org.id})`));
    expect(events[0].n).toBe(0);
  });

  it('telemetry is evidence: a different observed model adds a warning and changes nothing else', async () => {
    const { slug, notes, gates } = await kb(1, 1);
    await r.create(slug, { model_partition: 'm', runner_model: 'model-a', select: selectAll(notes, gates) });
    const { finalized } = await work(slug, 'pass', { model: 'model-b', tokens: 1200 });
    expect(finalized.json.status).toBe('succeeded');
    expect(finalized.json.model_partition).toBe('m');
    expect(finalized.json.warnings).toContain("1 of 1 item(s) report model model-b, not the job's runner model model-a");
  });

  it('only the lease holder writes; a wrong lease is 409', async () => {
    const { slug, notes, gates } = await kb(1, 1);
    await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) });
    const { job, items, lease } = (await r.claim({ projects: [slug] })).json;
    const stranger = crypto.randomUUID();
    expect((await r.result(job.id, items[0].id, stranger)).json.code).toBe('lease_lost');
    expect((await r.heartbeat(job.id, stranger)).status).toBe(409);
    expect((await r.finalize(job.id, stranger)).status).toBe(409);
    const beat = await r.heartbeat(job.id, lease.id, 600);
    expect(new Date(beat.json.lease.expires_at).getTime()).toBeGreaterThan(new Date(lease.expires_at).getTime());
  });

  it('a release puts the job back in the queue unharmed: no attempt counted, results kept, only by its lease holder', async () => {
    const { slug, notes, gates } = await kb(1, 2);
    await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) });
    const { job, items, lease } = (await r.claim({ projects: [slug] })).json;
    expect((await r.result(job.id, items[0].id, lease.id)).status).toBe(200);
    expect((await r.release(job.id, crypto.randomUUID())).json.code).toBe('lease_lost');
    const released = await r.release(job.id, lease.id);
    expect(released.status).toBe(200);
    expect(released.json).toMatchObject({ id: job.id, status: 'queued', attempts: 0 });
    // The old lease is over: it can neither write nor release again.
    expect((await r.release(job.id, lease.id)).status).toBe(409);
    expect((await r.result(job.id, items[1].id, lease.id)).json.code).toBe('lease_lost');
    const again = (await r.claim({ projects: [slug] })).json;
    expect(again.job.id).toBe(job.id);
    expect(again.items.map((i: { status: string }) => i.status)).toEqual(['done', 'pending']);
  });

  it('claims by priority then age, only for the runner asked, and answers 204 when there is nothing', async () => {
    const { slug, notes, gates } = await kb(3, 1);
    const mk = (i: number, priority: number, runner = 'exec') => r.create(slug, { runner, model_partition: `p${i}`, priority, items: [{ note_path: notes[i].path, note_sha256: notes[i].sha256, gate_path: gates[0].path, gate_sha256: gates[0].sha256 }] });
    await mk(0, 0);
    await mk(1, 5);
    await mk(2, 0, 'codex');
    expect((await r.claim({ projects: [slug] })).json.job.model_partition).toBe('p1');
    expect((await r.claim({ projects: [slug] })).json.job.model_partition).toBe('p0');
    expect((await r.claim({ projects: [slug] })).status).toBe(204);
    expect((await r.claim({ projects: [slug], runner: 'codex', partitions: ['other'] })).status).toBe(204);
    expect((await r.claim({ projects: [slug], runner: 'codex' })).json.job.model_partition).toBe('p2');
  });

  it('long-polls: a claim waiting for work gets the job created meanwhile', async () => {
    const { slug, notes, gates } = await kb(1, 1);
    const started = Date.now();
    const waiting = r.claim({ projects: [slug], wait_seconds: 5 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) });
    const claimed = await waiting;
    expect(claimed.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    const empty = Date.now();
    expect((await r.claim({ projects: [slug], wait_seconds: 1 })).status).toBe(204);
    expect(Date.now() - empty).toBeGreaterThanOrEqual(900);
  });

  it('an expired lease goes back to the queue with attempts + 1, then fails at max_attempts', async () => {
    const { slug, notes, gates } = await kb(1, 1);
    await r.create(slug, { model_partition: 'm', max_attempts: 2, select: selectAll(notes, gates) });
    const expire = () => env.database.db.execute(sql`update review_jobs set lease_expires_at = now() - interval '1 second' where status = 'running'`);
    const first = await r.claim({ projects: [slug] });
    await expire();
    const second = await r.claim({ projects: [slug] });
    expect(second.json.job).toMatchObject({ id: first.json.job.id, attempts: 1 });
    // The first holder's lease is gone.
    expect((await r.result(first.json.job.id, first.json.items[0].id, first.json.lease.id)).status).toBe(409);
    await expire();
    expect((await r.claim({ projects: [slug] })).status).toBe(204);
    const job = await r.get(first.json.job.id);
    expect(job.json).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'lease_expired' } });
  });

  it('cancel: a queued or running job stops, and nothing it did is accepted', async () => {
    const { slug, notes, gates } = await kb(1, 1);
    const made = await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) });
    const { job, lease, items } = (await r.claim({ projects: [slug] })).json;
    await r.result(job.id, items[0].id, lease.id);
    const cancelled = await env.request('POST', `/v1/jobs/${made.json.jobs[0].id}/cancel`, { token: org.ownerToken });
    expect(cancelled.json.status).toBe('cancelled');
    expect((await r.finalize(job.id, lease.id)).json).toMatchObject({ status: 'cancelled', replayed: true });
    expect((await select(env, org.ownerToken, slug, { model_partition: 'm', notes: manifest(notes), gates: manifest(gates) })).json.counts.missing).toBe(1);
    expect((await env.request('POST', `/v1/jobs/${job.id}/cancel`, { token: org.ownerToken })).status).toBe(200);
  });

  it('lists a project\'s jobs with filters and pages', async () => {
    const { slug, notes, gates } = await kb(3, 1);
    await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) });
    const { finalized } = await work(slug);
    expect(finalized.json.status, finalized.text).toBe('succeeded');
    const all = await env.request('GET', `/v1/projects/${slug}/jobs?limit=2`, { token: org.ownerToken });
    expect(all.json.items).toHaveLength(2);
    const rest = await env.request('GET', `/v1/projects/${slug}/jobs?limit=2&cursor=${all.json.next_cursor}`, { token: org.ownerToken });
    expect(rest.json.items).toHaveLength(1);
    expect(rest.json.next_cursor).toBeNull();
    const done = await env.request('GET', `/v1/projects/${slug}/jobs?status=succeeded`, { token: org.ownerToken });
    expect(done.json.items, done.text).toHaveLength(1);
  });
});

describe('tenancy of work', () => {
  it('a runner token limited to one project cannot claim, see or finish another\'s jobs', async () => {
    const a = await kb(1, 1);
    const b = await kb(1, 1);
    await r.create(b.slug, { model_partition: 'm', select: selectAll(b.notes, b.gates) });
    const minted = await env.request('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'runner-a', service: 'runner-a', scopes: ['jobs:run'], projects: [a.slug] } });
    const runnerA = runnerCalls(env, minted.json.token);
    expect((await runnerA.claim()).status).toBe(204);
    expect((await runnerA.claim({ projects: [b.slug] })).status).toBe(204);
    const { job, lease } = (await r.claim({ projects: [b.slug] })).json;
    expect((await runnerA.get(job.id)).status).toBe(403); // lacks freshness:read
    expect((await runnerA.finalize(job.id, lease.id)).status).toBe(404);
  });

  it('another org sees none of the jobs', async () => {
    const { slug, notes, gates } = await kb(1, 1);
    const made = await r.create(slug, { model_partition: 'm', select: selectAll(notes, gates) });
    const other = await env.createOrg();
    const otherRunner = runnerCalls(env, other.ownerToken);
    expect((await otherRunner.claim()).status).toBe(204);
    expect((await otherRunner.get(made.json.jobs[0].id)).status).toBe(404);
  });
});

void (null as unknown as Text);
