// A failure in the middle of finalize advances nothing, and a retry succeeds.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { manifest, select, text, upload } from '../support/freshness.js';
import { runnerCalls, selectAll } from '../support/execution.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
});
afterAll(() => env.close());

describe('finalize under a fault', () => {
  it('an error while writing the second acceptance rolls the whole finalize back; the retry succeeds', async () => {
    const r = runnerCalls(env, org.ownerToken);
    await env.createProject(org.ownerToken, { slug: 'faults' });
    const notes = [await text('kb/notes/ok.md', 'ok'), await text('kb/notes/boom.md', 'boom')];
    const gate = await text('kb/gates/g.md', 'g');
    await upload(env, org.ownerToken, 'faults', [...notes, gate]);
    await r.create('faults', { model_partition: 'm', grouping: 'gate', select: selectAll(notes, [gate]) });
    const { job, lease, items } = (await r.claim({ projects: ['faults'] })).json;
    for (const item of items) await r.result(job.id, item.id, lease.id);

    // Inject a fault: the database refuses the acceptance event of one pair.
    await env.database.db.execute(sql.raw(`
      create function test_fault() returns trigger language plpgsql as $$
      begin if new.note_path = 'kb/notes/boom.md' then raise exception 'injected fault'; end if; return new; end $$`));
    await env.database.db.execute(sql.raw(`create trigger test_fault before insert on acceptance_events for each row execute function test_fault()`));
    const failed = await r.finalize(job.id, lease.id);
    expect(failed.status).toBe(500);
    expect(failed.json.code).toBe('internal');
    expect(failed.text).not.toContain('injected fault');
    const events = rowsOf<{ n: number }>(await env.database.db.execute(sql`select count(*)::int as n from acceptance_events where job_id = ${job.id}`));
    expect(events[0].n).toBe(0);
    expect((await r.get(job.id)).json).toMatchObject({ status: 'running' });
    expect((await select(env, org.ownerToken, 'faults', { model_partition: 'm', notes: manifest(notes), gates: manifest([gate]) })).json.counts.missing).toBe(2);

    await env.database.db.execute(sql.raw('drop trigger test_fault on acceptance_events'));
    await env.database.db.execute(sql.raw('drop function test_fault()'));
    const retried = await r.finalize(job.id, lease.id);
    expect(retried.json.status).toBe('succeeded');
    expect((await select(env, org.ownerToken, 'faults', { model_partition: 'm', notes: manifest(notes), gates: manifest([gate]) })).json.counts.fresh).toBe(2);
  });
});
