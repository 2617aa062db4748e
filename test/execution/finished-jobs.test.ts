// A finished job answers only its own last lease (issue 16, finding 3): a
// replay of finalize or of a result for that lease's holder; any other lease
// gets what a stranger gets (404 when the job is not visible, else 409
// lease_lost) and none of the job's content.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunnerCalls, runnerCalls, selectAll, startRunnerWorld } from '../support/execution.js';
import { text, upload } from '../support/freshness.js';
import { type TestEnv, type OrgFixture, type Reply } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
let r: RunnerCalls;
let n = 0;

beforeAll(async () => { ({ env, org, r } = await startRunnerWorld()); });
afterAll(() => env.close());

const MARKER = 'telemetry-only-the-holder-sees';

/** A project with one single-item job, claimed; `finish` ends it (finalize, cancel or lease expiry). */
async function claimedJob() {
  n += 1;
  const slug = `finished-${n}`;
  await env.createProject(org.ownerToken, { slug });
  const note = await text('kb/notes/secret-note.md', '# N\n');
  const gate = await text('kb/gates/g.md', '# G\n');
  await upload(env, org.ownerToken, slug, [note, gate]);
  await r.create(slug, { model_partition: 'm', max_attempts: 1, select: selectAll([note], [gate]) });
  const { job, lease, items } = (await r.claim({ projects: [slug] })).json;
  expect((await r.result(job.id, items[0].id, lease.id, 'pass', 'the review', { marker: MARKER })).status).toBe(200);
  return { slug, job, lease, item: items[0] };
}

async function finishedJob() {
  const claimed = await claimedJob();
  expect((await r.finalize(claimed.job.id, claimed.lease.id)).json.status).toBe('succeeded');
  return claimed;
}

/** A refusal that names the lease and carries nothing of the job. */
function expectLeaseLost(reply: Reply) {
  expect(reply.status, reply.text).toBe(409);
  expect(reply.json.code).toBe('lease_lost');
  expect(reply.text).not.toContain(MARKER);
  expect(reply.text).not.toContain('secret-note');
  expect(reply.json.items).toBeUndefined();
}

describe('a finished job and a lease that is not its last one', () => {
  it('finalize: 409 lease_lost with no job content; the job\'s own lease still replays', async () => {
    const { job, lease } = await finishedJob();
    expectLeaseLost(await r.finalize(job.id, crypto.randomUUID()));
    const replay = await r.finalize(job.id, lease.id);
    expect(replay.json).toMatchObject({ status: 'succeeded', replayed: true });
    expect(replay.text).toContain(MARKER);
  });

  it('batch finalize: the entry is refused with lease_lost and job null', async () => {
    const { job, lease } = await finishedJob();
    const reply = await env.request('POST', '/v1/jobs/finalize/batch', { token: org.ownerToken, body: { jobs: [{ job: job.id, lease_id: crypto.randomUUID() }] } });
    expect(reply.status).toBe(200);
    expect(reply.json.jobs[0]).toMatchObject({ job_id: job.id, job: null, problem: { code: 'lease_lost', status: 409 } });
    expect(reply.text).not.toContain(MARKER);
    const own = await env.request('POST', '/v1/jobs/finalize/batch', { token: org.ownerToken, body: { jobs: [{ job: job.id, lease_id: lease.id }] } });
    expect(own.json.jobs[0].job).toMatchObject({ status: 'succeeded', replayed: true });
  });

  it('finalize carrying results: a made-up lease does not learn which result an item holds', async () => {
    const { job, item } = await finishedJob();
    const send = (results: unknown[]) => env.request('POST', `/v1/jobs/${job.id}/finalize`, { token: org.ownerToken, body: { lease_id: crypto.randomUUID(), results } });
    expectLeaseLost(await send([{ item: item.id, outcome: 'pass', artifact: 'the review', telemetry: { marker: MARKER } }]));
    expectLeaseLost(await send([{ item: item.id, outcome: 'fail', artifact: 'guess' }]));
    // An item not of this job is 404 whatever the lease, as in a path (the cross-tenant matrix relies on it).
    expect((await send([{ item: crypto.randomUUID(), outcome: 'pass', artifact: 'x' }])).status).toBe(404);
  });

  it('result: the same result again is 409 lease_lost, not a replay of the item; the holder still gets the replay', async () => {
    const { job, lease, item } = await finishedJob();
    const stranger = crypto.randomUUID();
    expectLeaseLost(await r.result(job.id, item.id, stranger, 'pass', 'the review', { marker: MARKER }));
    expectLeaseLost(await r.result(job.id, item.id, stranger, 'fail'));
    expect((await r.result(job.id, crypto.randomUUID(), stranger)).status).toBe(404);
    expect((await r.result(job.id, item.id, lease.id, 'pass', 'the review', { marker: MARKER })).json.replayed).toBe(true);
    expect((await r.result(job.id, item.id, lease.id, 'fail')).json.code).toBe('job_finalized');
  });

  it('heartbeat: 409 lease_lost for any lease, with no job content', async () => {
    const { job, lease } = await finishedJob();
    expectLeaseLost(await r.heartbeat(job.id, crypto.randomUUID()));
    expectLeaseLost(await r.heartbeat(job.id, lease.id));
  });

  it('a token that cannot see the job gets 404 whatever the lease', async () => {
    const { job, lease, item } = await finishedJob();
    await env.createProject(org.ownerToken, { slug: 'finished-elsewhere' });
    const minted = await env.request('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'runner-elsewhere', service: 'runner-elsewhere', scopes: ['jobs:run'], projects: ['finished-elsewhere'] } });
    const outsider = runnerCalls(env, minted.json.token);
    for (const leaseId of [lease.id, crypto.randomUUID()]) {
      expect((await outsider.finalize(job.id, leaseId)).status).toBe(404);
      expect((await outsider.result(job.id, item.id, leaseId, 'pass', 'the review', { marker: MARKER })).status).toBe(404);
      expect((await outsider.heartbeat(job.id, leaseId)).status).toBe(404);
    }
  });

  it('a cancelled job and one failed by lease expiry replay only for their last lease', async () => {
    const cancelled = await claimedJob();
    expect((await env.request('POST', `/v1/jobs/${cancelled.job.id}/cancel`, { token: org.ownerToken })).json.status).toBe('cancelled');
    expectLeaseLost(await r.finalize(cancelled.job.id, crypto.randomUUID()));
    expect((await r.finalize(cancelled.job.id, cancelled.lease.id)).json).toMatchObject({ status: 'cancelled', replayed: true });

    const expired = await claimedJob();
    await env.database.db.execute(sql`update review_jobs set lease_expires_at = now() - interval '1 second' where id = ${expired.job.id}`);
    expect((await r.claim({ projects: [expired.slug] })).status).toBe(204); // the reaper ends it: max_attempts is 1
    expectLeaseLost(await r.finalize(expired.job.id, crypto.randomUUID()));
    expect((await r.finalize(expired.job.id, expired.lease.id)).json).toMatchObject({ status: 'failed', error: { code: 'lease_expired' }, replayed: true });
  });
});
