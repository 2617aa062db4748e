// The project's embedding model: one per project, vectors of another model
// or dimension refused, changing it drops the old vectors for re-embedding.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { runnerCalls } from '../support/execution.js';
import { text, upload } from '../support/freshness.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
});
afterAll(() => env.close());

const vectors = async (slug: string) => rowsOf<{ model: string }>(await env.database.db.execute(sql`
  select e.model from embeddings e join projects p on p.id = e.project_id where p.slug = ${slug} and p.org_id = ${org.id}`)).map((r) => r.model);

async function finishedJob(slug: string, artifact: string, embedding?: { model: string; vector: number[] }) {
  const r = runnerCalls(env, org.ownerToken);
  const note = await text(`kb/notes/${Math.random().toString(36).slice(2)}.md`, 'n');
  const gate = await text('kb/gates/g.md', 'g');
  await upload(env, org.ownerToken, slug, [note, gate]);
  await r.create(slug, { model_partition: 'm', items: [{ note_path: note.path, note_sha256: note.sha256, gate_path: gate.path, gate_sha256: gate.sha256 }] });
  const { job, lease, items } = (await r.claim({ projects: [slug] })).json;
  const result = await env.request('PUT', `/v1/jobs/${job.id}/items/${items[0].id}/result`, {
    token: org.ownerToken, body: { lease_id: lease.id, outcome: 'pass', artifact, ...(embedding ? { embedding } : {}) },
  });
  return { result, job, lease, r };
}

describe('embedding models', () => {
  it('a server-embedded project refuses runner vectors; changing the model is for org admins and drops old vectors', async () => {
    await env.createProject(org.ownerToken, { slug: 'emb' });
    const refused = await finishedJob('emb', 'walrus\n## Result: PASS', { model: 'x', vector: [1, 0] });
    expect(refused.result.status).toBe(422);
    expect(refused.result.json.errors[0].path).toBe('body.embedding');
    const ok = await finishedJob('emb', 'walrus tusks\n## Result: PASS');
    await ok.r.finalize(ok.job.id, ok.lease.id);
    await env.request('POST', '/v1/projects/emb/search', { token: org.ownerToken, body: { query: 'walrus' } });
    // The artifact and the note it accepted, both in the server's model.
    expect(await vectors('emb')).toEqual(['gatehouse/feature-hash-v1', 'gatehouse/feature-hash-v1']);

    const member = await env.addMember(org, 'member');
    await env.createProject(member.token, { slug: 'emb-member' });
    const change = { embedding: { model: 'runner/model-1', dims: 384, source: 'runner' } };
    expect((await env.request('PATCH', '/v1/projects/emb-member', { token: member.token, body: change })).status).toBe(403);
    const changed = await env.request('PATCH', '/v1/projects/emb', { token: org.ownerToken, body: change });
    expect(changed.json.embedding).toEqual({ model: 'runner/model-1', dims: 384, source: 'runner' });
    expect(await vectors('emb')).toEqual([]);
  });

  it('a runner-embedded project takes vectors of its model and dimension only', async () => {
    await env.createProject(org.ownerToken, { slug: 'emb-runner' });
    await env.request('PATCH', '/v1/projects/emb-runner', { token: org.ownerToken, body: { embedding: { model: 'runner/model-1', dims: 384, source: 'runner' } } });
    const unit = Array.from({ length: 384 }, (_, i) => (i === 3 ? 1 : 0));
    const wrongModel = await finishedJob('emb-runner', 'a\n## Result: PASS', { model: 'runner/model-2', vector: unit });
    expect(wrongModel.result.json.detail).toMatch(/embedding model is runner\/model-1/);
    const wrongDims = await finishedJob('emb-runner', 'b\n## Result: PASS', { model: 'runner/model-1', vector: [1, 0, 0] });
    expect(wrongDims.result.json.detail).toMatch(/384 dimensions, not 3/);
    const good = await finishedJob('emb-runner', 'capybara\n## Result: PASS', { model: 'runner/model-1', vector: unit });
    expect(good.result.status).toBe(200);
    expect(await vectors('emb-runner')).toEqual(['runner/model-1']);
    // This server cannot embed queries in the runner's model: text search works, vector search says why not.
    const textHit = await env.request('POST', '/v1/projects/emb-runner/search', { token: org.ownerToken, body: { query: 'capybara', mode: 'text' } });
    expect(textHit.json.results).toHaveLength(1);
    const vectorSearch = await env.request('POST', '/v1/projects/emb-runner/search', { token: org.ownerToken, body: { query: 'capybara', mode: 'vector' } });
    expect(vectorSearch.status).toBe(422);
  });
});
