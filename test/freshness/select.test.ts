import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { accept, manifest, select, text, upload, type Text } from '../support/freshness.js';

let env: TestEnv;
let org: OrgFixture;
const P = 'kb';
const M = 'claude/high';
let notes: Text[];
let gates: Text[];

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  await env.createProject(org.ownerToken, { slug: P });
  notes = await Promise.all([1, 2, 3, 4].map((i) => text(`kb/notes/n${i}.md`, `# Note ${i}\n\nbody ${i}\n`)));
  gates = await Promise.all([1, 2].map((i) => text(`kb/gates/g${i}.md`, `---\nwatches: [body]\n---\n# Gate ${i}\n`)));
  await upload(env, org.ownerToken, P, [...notes, ...gates]);
  // n1, n2, n3 accepted against both gates; n4 never reviewed.
  await accept(env, org, P, M, notes.slice(0, 3).flatMap((n) => gates.map((g) => [n, g] as [Text, Text])));
});
afterAll(() => env.close());

describe('freshness select', () => {
  it('reports every status and reason with counts over all pairs', async () => {
    const n2 = await text('kb/notes/n2.md', '# Note 2\n\nbody 2 changed\n');
    const g2 = await text('kb/gates/g2.md', '---\nwatches: [body]\n---\n# Gate 2 changed\n');
    const n3 = await text('kb/notes/n3.md', '# Note 3\n\nbody 3 changed\n');
    await upload(env, org.ownerToken, P, [n2, g2]);
    const reply = await select(env, org.ownerToken, P, {
      model_partition: M,
      notes: manifest([notes[0], n2, n3, notes[3]]),
      gates: manifest([gates[0], g2]),
    });
    expect(reply.status).toBe(200);
    const { counts, reasons, pairs, missing_texts } = reply.json;
    expect(counts).toEqual({ fresh: 1, stale: 5, missing: 2, total: 8 });
    expect(reasons).toEqual({ never_reviewed: 2, note_changed: 2, gate_changed: 1, both_changed: 2 });
    const byPair = Object.fromEntries(pairs.map((p: any) => [`${p.note_path}|${p.gate_path}`, p]));
    expect(byPair['kb/notes/n1.md|kb/gates/g2.md']).toMatchObject({ status: 'stale', reason: 'gate_changed', revision: 1, accepted_gate_sha256: gates[1].sha256, gate_sha256: g2.sha256 });
    expect(byPair['kb/notes/n2.md|kb/gates/g1.md']).toMatchObject({ status: 'stale', reason: 'note_changed' });
    expect(byPair['kb/notes/n2.md|kb/gates/g2.md']).toMatchObject({ status: 'stale', reason: 'both_changed' });
    expect(byPair['kb/notes/n4.md|kb/gates/g1.md']).toMatchObject({ status: 'missing', reason: 'never_reviewed', revision: null, accepted_note_sha256: null });
    expect(byPair['kb/notes/n1.md|kb/gates/g1.md']).toBeUndefined();
    expect(missing_texts).toEqual([{ path: 'kb/notes/n3.md', sha256: n3.sha256 }]);
  });

  it('lists fresh pairs on request, and filters by status and reason without changing the counts', async () => {
    const all = await select(env, org.ownerToken, P, { model_partition: M, notes: manifest(notes), gates: manifest(gates), include_fresh: true });
    expect(all.json.pairs).toHaveLength(8);
    expect(all.json.pairs.filter((p: any) => p.status === 'fresh')).toHaveLength(6);
    const missingOnly = await select(env, org.ownerToken, P, { model_partition: M, notes: manifest(notes), gates: manifest(gates), status: ['missing'] });
    expect(missingOnly.json.pairs.map((p: any) => p.note_path)).toEqual(['kb/notes/n4.md', 'kb/notes/n4.md']);
    expect(missingOnly.json.counts.total).toBe(8);
  });

  it('takes explicit pairs, and another partition has its own state', async () => {
    const reply = await select(env, org.ownerToken, P, {
      model_partition: M,
      pairs: [{ note_path: notes[0].path, note_sha256: notes[0].sha256, gate_path: gates[0].path, gate_sha256: gates[0].sha256 }],
      include_fresh: true,
    });
    expect(reply.json.pairs).toEqual([expect.objectContaining({ status: 'fresh', reason: null, revision: 1 })]);
    const other = await select(env, org.ownerToken, P, { model_partition: 'codex/medium', notes: manifest(notes), gates: manifest(gates) });
    expect(other.json.counts).toMatchObject({ missing: 8, fresh: 0 });
  });

  it('refuses malformed selections naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ model_partition: M, notes: manifest(notes) }, 'body.gates'],
      [{ model_partition: M }, 'body.pairs'],
      [{ model_partition: M, notes: manifest([notes[0], notes[0]]), gates: manifest(gates) }, 'body.notes.1.path'],
      [{ model_partition: ' bad', notes: [], gates: [] }, 'body.model_partition'],
      [{ model_partition: M, notes: [{ path: '../x', sha256: 'a'.repeat(64) }], gates: [] }, 'body.notes.0.path'],
      [{ model_partition: M, notes: [{ path: 'x', sha256: 'ABC' }], gates: [] }, 'body.notes.0.sha256'],
    ];
    for (const [body, path] of cases) {
      const reply = await select(env, org.ownerToken, P, body);
      expect(reply.status, JSON.stringify(body)).toBe(422);
      expect(reply.json.errors.map((e: any) => e.path), JSON.stringify(body)).toContain(path);
    }
  });

  it('answers 413 when the manifests would expand past the pair limit', async () => {
    const small = await TestEnv.start({ limits: { maxSelectPairs: 10, maxManifestEntries: 100 } });
    try {
      const o = await small.createOrg();
      await small.createProject(o.ownerToken, { slug: 'p' });
      const many = Array.from({ length: 4 }, (_, i) => ({ path: `n${i}.md`, sha256: 'a'.repeat(64) }));
      const reply = await select(small, o.ownerToken, 'p', { model_partition: M, notes: many, gates: many });
      expect(reply.status).toBe(413);
      expect(reply.json.limit).toBe('max_select_pairs');
    } finally {
      await small.close();
    }
  });
});

describe('current acceptances, listed', () => {
  it('lists the pairs accepted now, page by page, filtered by partition, path and prefix; retired ones are gone', async () => {
    const list = async (q: string) => (await env.request('GET', `/v1/projects/${P}/acceptance?${q}`, { token: org.ownerToken })).json;
    const all = await list(`model_partition=${encodeURIComponent(M)}&limit=1000`);
    expect(all.mode).toBe('current');
    const keys = all.items.map((i: any) => `${i.note_path}|${i.gate_path}`);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toContain('kb/notes/n1.md|kb/gates/g1.md');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const pageReply: any = await list(`model_partition=${encodeURIComponent(M)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...pageReply.items.map((i: any) => `${i.note_path}|${i.gate_path}`));
      cursor = pageReply.next_cursor;
    } while (cursor);
    expect(seen).toEqual(keys);
    expect((await list('note_path=kb/notes/n1.md')).items.map((i: any) => i.gate_path)).toEqual(['kb/gates/g1.md', 'kb/gates/g2.md']);
    expect((await list('gate_path=kb/gates/g2.md&path_prefix=kb/notes/n3')).items).toHaveLength(1);
    await env.request('POST', `/v1/projects/${P}/retire`, { token: org.ownerToken, body: { paths: ['kb/notes/n3.md'] } });
    expect((await list('path_prefix=kb/notes/n3')).items).toEqual([]);
  });
});

describe('acceptance history', () => {
  it('lists a pair\'s events newest first, page by page', async () => {
    const n = await text('kb/notes/hist.md', 'v1');
    await upload(env, org.ownerToken, P, [n]);
    await accept(env, org, P, M, [[n, gates[0]]]);
    await accept(env, org, P, M, [[n, gates[0]]], 'warn');
    await accept(env, org, P, M, [[n, gates[0]]], 'fail');
    const q = `note_path=${encodeURIComponent(n.path)}&gate_path=${encodeURIComponent(gates[0].path)}&model_partition=${encodeURIComponent(M)}`;
    const first = await env.request('GET', `/v1/projects/${P}/acceptance?${q}&limit=2`, { token: org.ownerToken });
    expect(first.json.revision).toBe(3);
    expect(first.json.items.map((e: any) => [e.revision, e.outcome])).toEqual([[3, 'fail'], [2, 'warn']]);
    const second = await env.request('GET', `/v1/projects/${P}/acceptance?${q}&limit=2&cursor=${first.json.next_cursor}`, { token: org.ownerToken });
    expect(second.json.items.map((e: any) => e.revision)).toEqual([1]);
    expect(second.json.next_cursor).toBeNull();
  });
});
