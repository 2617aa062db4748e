// A claim's first lease is short (issue 17, item 17): an abandoned claim (a
// long-poll whose client went away, e.g. Ctrl-C on an idle `gatehouse work`)
// must not leave its job leased to nobody for more than a minute. The claim
// grants min(lease_seconds, 60) s and says so in lease.expires_at; the first
// heartbeat extends to the asked length. Time is the database's: a minute
// passing is the lease moved a minute back.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_LEASE_SECONDS } from '../../src/execution/claim.js';
import { rowsOf } from '../../src/platform/db.js';
import { text, upload } from '../support/freshness.js';
import { type RunnerCalls, selectAll, startRunnerWorld } from '../support/execution.js';
import { type TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
let r: RunnerCalls;
let n = 0;

beforeAll(async () => { ({ env, org, r } = await startRunnerWorld()); });
afterAll(() => env.close());

async function queued(jobs = 1) {
  n += 1;
  const slug = `lease-${n}`;
  await env.createProject(org.ownerToken, { slug });
  const notes = await Promise.all(Array.from({ length: jobs }, (_, i) => text(`kb/notes/n${i}.md`, `# N${i}\n`)));
  const gate = await text('kb/gates/g.md', '# G\n');
  await upload(env, org.ownerToken, slug, [...notes, gate]);
  expect((await r.create(slug, { model_partition: 'm', select: selectAll(notes, [gate]) })).json.jobs).toHaveLength(jobs);
  return slug;
}

/** Seconds from the database's now() to `iso`. */
async function secondsLeft(iso: string): Promise<number> {
  const [row] = rowsOf<{ now: string | Date }>(await env.database.db.execute(sql`select now() as now`));
  return (new Date(iso).getTime() - new Date(row.now).getTime()) / 1000;
}

/** A minute and a second pass for every running lease of the project. */
const aMinutePasses = (slug: string) => env.database.db.execute(sql`
  update review_jobs set lease_expires_at = lease_expires_at - interval '61 seconds'
  where status = 'running' and project_id = (select id from projects where slug = ${slug} and org_id = ${org.id})`);

describe('the first lease of a claim', () => {
  it('lasts at most a minute whatever lease_seconds asked, and expires_at says so', async () => {
    const slug = await queued();
    const claimed = await r.claim({ projects: [slug], lease_seconds: 1800 });
    expect(claimed.status).toBe(200);
    const left = await secondsLeft(claimed.json.lease.expires_at);
    expect(left).toBeLessThanOrEqual(FIRST_LEASE_SECONDS);
    expect(left).toBeGreaterThan(FIRST_LEASE_SECONDS - 10);
    const job = await r.get(claimed.json.job.id);
    expect(job.json.lease_expires_at).toBe(claimed.json.lease.expires_at);
  });

  it('a claimed job whose runner never heartbeats goes back to the queue after the first minute', async () => {
    const slug = await queued();
    const abandoned = (await r.claim({ projects: [slug], lease_seconds: 1800, worker: 'gone' })).json;
    await aMinutePasses(slug);
    const next = await r.claim({ projects: [slug], lease_seconds: 1800 });
    expect(next.status).toBe(200);
    expect(next.json.job).toMatchObject({ id: abandoned.job.id, attempts: 1 });
    expect((await r.heartbeat(abandoned.job.id, abandoned.lease.id, 1800)).json.code).toBe('lease_lost');
  });

  it('the first heartbeat extends the lease to the length asked, and the job stays held', async () => {
    const slug = await queued();
    const claimed = (await r.claim({ projects: [slug], lease_seconds: 1800 })).json;
    const beat = await r.heartbeat(claimed.job.id, claimed.lease.id, 1800);
    expect(beat.status).toBe(200);
    const left = await secondsLeft(beat.json.lease.expires_at);
    expect(left).toBeGreaterThan(1790);
    expect(left).toBeLessThanOrEqual(1800);
    await aMinutePasses(slug);
    expect((await r.claim({ projects: [slug] })).status).toBe(204);
    expect((await r.get(claimed.job.id)).json).toMatchObject({ status: 'running', attempts: 0 });
  });

  it('a shorter lease than a minute is granted as asked', async () => {
    const slug = await queued();
    const claimed = (await r.claim({ projects: [slug], lease_seconds: 20 })).json;
    expect(await secondsLeft(claimed.lease.expires_at)).toBeLessThanOrEqual(20);
  });

  it('batch claims: every job gets the short first lease, and comes back if never heartbeated', async () => {
    const slug = await queued(2);
    const batch = await env.request('POST', '/v1/jobs/claim/batch', { token: org.ownerToken, body: { runner: 'exec', projects: [slug], max_jobs: 2, lease_seconds: 3600 } });
    expect(batch.status).toBe(200);
    expect(batch.json.jobs).toHaveLength(2);
    for (const { lease } of batch.json.jobs) expect(await secondsLeft(lease.expires_at)).toBeLessThanOrEqual(FIRST_LEASE_SECONDS);
    await r.heartbeat(batch.json.jobs[0].job.id, batch.json.jobs[0].lease.id, 3600);
    await aMinutePasses(slug);
    const again = await r.claim({ projects: [slug] });
    expect(again.json.job.id).toBe(batch.json.jobs[1].job.id);
    expect((await r.claim({ projects: [slug] })).status).toBe(204);
  });
});
