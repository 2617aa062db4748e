// The vector ranking takes the nearest candidates from the HNSW index first
// and filters them afterwards (src/search/search.ts, hybridStatement). These
// tests pin what that must not change: another project's vectors never
// appear and do not use up the candidates, and a vector whose subject is not
// searchable (a note no acceptance uses, a filtered-out kind) never appears
// even when it is the nearest.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf, withTenant } from '../../src/platform/db.js';
import { FEATURE_HASH_MODEL, FeatureHashEmbedder } from '../../src/search/embedder.js';
import { EF_SEARCH_MIN, hnswSettings, hybridStatement } from '../../src/search/search.js';
import { accept, text, upload, type Text } from '../support/freshness.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
let target: Text;
let unused: Text;
const ids: Record<string, string> = {};
const QUERY = 'okapi savanna';
const embedder = new FeatureHashEmbedder();
const queryVector = embedder.vector(QUERY);
/** More than the candidates the index hands over, so a filter inside the scan would be starved. */
const OTHER_PROJECT_VECTORS = EF_SEARCH_MIN + 50;

const projectId = async (slug: string) => rowsOf<{ id: string }>(await env.database.db.execute(sql`select id from projects where slug = ${slug} and org_id = ${org.id}`))[0].id;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  await env.createProject(org.ownerToken, { slug: 'vf-a' });
  await env.createProject(org.ownerToken, { slug: 'vf-b' });
  ids.a = await projectId('vf-a');
  ids.b = await projectId('vf-b');
  target = await text('kb/notes/okapi.md', 'okapi savanna grassland migration');
  unused = await text('kb/notes/unused.md', 'okapi savanna');
  const gate = await text('kb/gates/g.md', 'g');
  await upload(env, org.ownerToken, 'vf-a', [target, unused, gate]);
  await accept(env, org, 'vf-a', 'm', [[target, gate]]);
  ids.unused = rowsOf<{ id: string }>(await env.database.db.execute(sql`select id from snapshots where project_id = ${ids.a} and path = ${unused.path}`))[0].id;
  const v = `[${queryVector.join(',')}]`;
  // The nearest vector of all in project a belongs to a note no acceptance uses.
  await env.database.db.execute(sql`insert into embeddings (org_id, project_id, subject_kind, subject_id, model, dims, embedding)
    values (${org.id}, ${ids.a}, 'snapshot', ${ids.unused}, ${FEATURE_HASH_MODEL}, 384, ${v}::vector)`);
  // Project b, same org and model, holds many vectors nearer than a's note
  // (cosine distance 0.07–0.21 against 0.39): the embedder's own vectors of
  // "okapi savanna w<n>", as its notes would have.
  const nearer = Array.from({ length: OTHER_PROJECT_VECTORS }, (_, n) => `[${embedder.vector(`okapi savanna w${n}`).join(',')}]`);
  await env.database.db.execute(sql`insert into embeddings (org_id, project_id, subject_kind, subject_id, model, dims, embedding)
    select ${org.id}, ${ids.b}, 'snapshot', gen_random_uuid(), ${FEATURE_HASH_MODEL}, 384, x::vector
    from json_array_elements_text(${JSON.stringify(nearer)}::json) as n(x)`);
}, 60_000);
afterAll(() => env.close());

const find = (body: Record<string, unknown>) => env.request('POST', '/v1/projects/vf-a/search', { token: org.ownerToken, body: { query: QUERY, ...body } });

describe('vector ranking filters', () => {
  it("finds the project's searchable note, past nearer vectors of another project and of an unused note", async () => {
    const reply = await find({ mode: 'vector', k: 5 });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.results.map((r: any) => r.note_path)).toEqual([target.path]);
    expect(reply.json.results[0].vector_rank).toBe(1);
  });

  it('applies the request filters to the candidates', async () => {
    expect((await find({ mode: 'vector', subject: 'job_item' })).json.results).toEqual([]);
    expect((await find({ mode: 'vector', path_prefix: 'kb/notes/x' })).json.results).toEqual([]);
    expect((await find({ mode: 'vector', path_prefix: 'kb/notes/ok' })).json.results.map((r: any) => r.note_path)).toEqual([target.path]);
    // Notes have no gate: a gate filter leaves review artifacts only.
    expect((await find({ mode: 'vector', gate_path: 'kb/gates/g.md' })).json.results).toEqual([]);
  });

  it('reaches the note through the HNSW index only with the iterative scan search() turns on', async () => {
    const req = { query: QUERY, k: 5, mode: 'vector' as const };
    const run = (iterative: boolean) => withTenant(env.database.db, { orgId: org.id }, async (tx) => {
      // Force the index on this tiny table, as on a large one.
      await tx.execute(sql`set local enable_seqscan = off`);
      await tx.execute(hnswSettings(req.k));
      if (!iterative) await tx.execute(sql`set local hnsw.iterative_scan = off`);
      return rowsOf<{ id: string }>(await tx.execute(hybridStatement(ids.a, req, null, FEATURE_HASH_MODEL, 384, queryVector))).map((r) => r.id);
    });
    const targetId = rowsOf<{ id: string }>(await env.database.db.execute(sql`select id from snapshots where project_id = ${ids.a} and path = ${target.path}`))[0].id;
    expect(await run(true)).toEqual([targetId]);
    // Without it the index hands over ef_search vectors, all of project b's: the test above has teeth.
    expect(await run(false)).toEqual([]);
  });
});
