// Search over the real corpus: notes and review artifacts, by text, by
// vector, and fused.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { FeatureHashEmbedder } from '../../src/search/embedder.js';
import { corpusFiles } from '../support/corpus.js';
import { runnerCalls } from '../support/execution.js';
import { accept, text, upload, type Text } from '../support/freshness.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
const P = 'corpus-search';
const TARGET = 'kb/notes/a-bare-writing-prompt-does-not-determine-its-intended-contribution.md';
let notes: Text[];
let gate: Text;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  await env.createProject(org.ownerToken, { slug: P });
  notes = await Promise.all(corpusFiles('kb/notes').map((f) => text(f.path, f.body)));
  gate = await text('kb/instructions/review-gates/prose/clarity.md', '---\nwatches: [body]\n---\n# Clarity\n');
  for (let i = 0; i < notes.length; i += 500) await upload(env, org.ownerToken, P, notes.slice(i, i + 500));
  await upload(env, org.ownerToken, P, [gate]);
  // Notes are searchable once some acceptance uses them.
  await accept(env, org, P, 'm', notes.map((n) => [n, gate] as [Text, Text]));
}, 180_000);
afterAll(() => env.close());

const find = (body: Record<string, unknown>) => env.request('POST', `/v1/projects/${P}/search`, { token: org.ownerToken, body });

describe('search', () => {
  it('a known query finds the expected note near the top, in every mode', async () => {
    for (const mode of ['hybrid', 'text', 'vector']) {
      const reply = await find({ query: 'bare writing prompt intended contribution', k: 5, mode });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.json.results.map((r: any) => r.note_path), mode).toContain(TARGET);
    }
  });

  it('hybrid keeps what each ranking alone ranks first, with both ranks and the fused score', async () => {
    const query = 'knowledge base workshop layer library';
    const textTop = (await find({ query, k: 1, mode: 'text' })).json.results[0];
    const vectorTop = (await find({ query, k: 1, mode: 'vector' })).json.results[0];
    const hybrid = (await find({ query, k: 10 })).json.results;
    const ids = hybrid.map((r: any) => r.subject.id);
    expect(ids).toContain(textTop.subject.id);
    expect(ids).toContain(vectorTop.subject.id);
    const top = hybrid[0];
    expect(top.score).toBeCloseTo((top.text_rank ? 1 / (60 + top.text_rank) : 0) + (top.vector_rank ? 1 / (60 + top.vector_rank) : 0), 10);
    expect(hybrid.every((r: any, i: number) => i === 0 || hybrid[i - 1].score >= r.score)).toBe(true);
    expect(top.snippet.length).toBeGreaterThan(0);
  });

  it('finds review artifacts, filtered by gate, outcome, partition, subject and path', async () => {
    const r = runnerCalls(env, org.ownerToken);
    const target = notes.find((n) => n.path === TARGET)!;
    await r.create(P, { model_partition: 'review-model', items: [{ note_path: target.path, note_sha256: target.sha256, gate_path: gate.path, gate_sha256: gate.sha256 }] });
    const { job, lease, items } = (await r.claim({ projects: [P] })).json;
    await r.result(job.id, items[0].id, lease.id, 'warn', 'The framing about commissioned experts is ambiguous; zebra-striped paragraphs.\n## Result: WARN');
    expect((await r.finalize(job.id, lease.id)).json.status).toBe('succeeded');

    const hit = await find({ query: 'zebra-striped paragraphs', subject: 'job_item' });
    expect(hit.json.results[0]).toMatchObject({ subject: { kind: 'job_item' }, outcome: 'warn', gate_path: gate.path, note_path: TARGET, model_partition: 'review-model', job_id: job.id });
    expect(hit.json.results[0].snippet).toMatch(/zebra/);
    expect((await find({ query: 'zebra-striped paragraphs', outcome: 'fail' })).json.results).toEqual([]);
    expect((await find({ query: 'zebra-striped paragraphs', outcome: 'warn', partition: 'review-model', gate_path: gate.path })).json.results).toHaveLength(1);
    expect((await find({ query: 'zebra-striped paragraphs', partition: 'other-model' })).json.results).toEqual([]);
    expect((await find({ query: 'zebra-striped paragraphs', path_prefix: 'kb/notes/z' })).json.results).toEqual([]);
    const notesReply = await find({ query: 'bare writing prompt', subject: 'snapshot' });
    expect(notesReply.status, notesReply.text).toBe(200);
    const notesOnly = notesReply.json.results;
    expect(notesOnly.every((x: any) => x.subject.kind === 'snapshot')).toBe(true);
  });

  it('refuses vectors of the wrong dimension or an unsupported one, in the database itself', async () => {
    const [row] = rowsOf<{ id: string; org_id: string }>(await env.database.db.execute(sql`select id, org_id from projects where slug = ${P}`));
    const v = (n: number) => `[${Array.from({ length: n }, () => 0.1).join(',')}]`;
    await expect(env.database.db.execute(sql`insert into embeddings (org_id, project_id, subject_kind, subject_id, model, dims, embedding) values (${row.org_id}, ${row.id}, 'snapshot', gen_random_uuid(), 'x', 384, ${v(100)}::vector)`)).rejects.toThrow();
    await expect(env.database.db.execute(sql`insert into embeddings (org_id, project_id, subject_kind, subject_id, model, dims, embedding) values (${row.org_id}, ${row.id}, 'snapshot', gen_random_uuid(), 'x', 100, ${v(100)}::vector)`)).rejects.toThrow();
  });

  it('the embedded default is lexical: close texts score close, unrelated ones do not', () => {
    const e = new FeatureHashEmbedder();
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
    const a = e.vector('freshness of review baselines');
    expect(cos(a, a)).toBeCloseTo(1, 10);
    expect(cos(a, e.vector('review baselines of freshness'))).toBeCloseTo(1, 10);
    expect(cos(a, e.vector('fresh reviewed baseline'))).toBeGreaterThan(0.3);
    expect(cos(a, e.vector('zebra giraffe savanna'))).toBeLessThan(0.2);
  });
});
