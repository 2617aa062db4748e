import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { accept, manifest, select, text, upload, type Text } from '../support/freshness.js';

let env: TestEnv;
let org: OrgFixture;
const P = 'acks';
const M = 'm1';
let note: Text;
let gate: Text;
let note2: Text;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  await env.createProject(org.ownerToken, { slug: P });
  note = await text('kb/notes/a.md', '# A\n\nv1\n');
  gate = await text('kb/gates/g.md', '# G\n');
  note2 = await text('kb/notes/a.md', '# A\n\nv2\n');
  await upload(env, org.ownerToken, P, [note, gate, note2]);
  await accept(env, org, P, M, [[note, gate]], 'warn');
});
afterAll(() => env.close());

const ack = (body: Record<string, unknown>, token = org.ownerToken) => env.request('POST', `/v1/projects/${P}/acks`, { token, body });
const pair = (n: Text, g: Text, expected: number, extra: Record<string, unknown> = {}) =>
  ({ note_path: n.path, note_sha256: n.sha256, gate_path: g.path, gate_sha256: g.sha256, expected_revision: expected, ...extra });

describe('acks', () => {
  it('advances a stale accepted pair to fresh with an ack event carrying the outcome and reason', async () => {
    const reply = await ack({ model_partition: M, reason: 'typo fix', pairs: [pair(note2, gate, 1)] });
    expect(reply.status).toBe(200);
    expect(reply.json.acked).toEqual([{ note_path: note.path, gate_path: gate.path, revision: 2 }]);
    const now = await select(env, org.ownerToken, P, { model_partition: M, notes: manifest([note2]), gates: manifest([gate]), include_fresh: true });
    expect(now.json.pairs[0]).toMatchObject({ status: 'fresh', revision: 2 });
    const history = await env.request('GET', `/v1/projects/${P}/acceptance?note_path=${note.path}&gate_path=${gate.path}&model_partition=${M}`, { token: org.ownerToken });
    expect(history.json.items[0]).toMatchObject({ kind: 'ack', outcome: 'warn', reason: 'typo fix', note_sha256: note2.sha256, actor_user_id: org.ownerId });
  });

  it('refuses a stale expected revision with 409 and writes nothing', async () => {
    const events = async () => rowsOf<{ n: number }>(await env.database.db.execute(sql`select count(*)::int as n from acceptance_events`))[0].n;
    const before = await events();
    const reply = await ack({ model_partition: M, reason: 'late', pairs: [pair(note, gate, 1)] });
    expect(reply.status).toBe(409);
    expect(reply.json.code).toBe('stale_baseline_revision');
    expect(reply.json.pairs).toEqual([expect.objectContaining({ expected_revision: 1, current_revision: 2 })]);
    expect(await events()).toBe(before);
  });

  it('is all or nothing: one bad pair refuses the request', async () => {
    const other = await text('kb/notes/b.md', 'b');
    await upload(env, org.ownerToken, P, [other]);
    await accept(env, org, P, M, [[other, gate]]);
    const reply = await ack({ model_partition: M, reason: 'both', pairs: [pair(note, gate, 2), pair(other, gate, 7)] });
    expect(reply.status).toBe(409);
    const check = await select(env, org.ownerToken, P, { model_partition: M, notes: manifest([note]), gates: manifest([gate]) });
    expect(check.json.pairs[0]).toMatchObject({ status: 'stale', revision: 2 });
  });

  it('only pairs with an acceptance can be acked, only with held texts, and only with a reason', async () => {
    const fresh = await text('kb/notes/never.md', 'never');
    await upload(env, org.ownerToken, P, [fresh]);
    const never = await ack({ model_partition: M, reason: 'x', pairs: [pair(fresh, gate, 1)] });
    expect(never.status).toBe(422);
    expect(never.json.detail).toMatch(/no acceptance/);
    const unheld = await text('kb/notes/a.md', 'not uploaded');
    const missing = await ack({ model_partition: M, reason: 'x', pairs: [pair(unheld, gate, 2)] });
    expect(missing.status).toBe(422);
    expect(missing.json.missing_texts).toEqual([{ path: unheld.path, sha256: unheld.sha256 }]);
    const noReason = await ack({ model_partition: M, pairs: [pair(note2, gate, 2)] });
    expect(noReason.status).toBe(422);
    expect(noReason.json.errors[0].path).toBe('body.pairs.0.reason');
  });

  it('needs acceptance:write', async () => {
    const viewer = await env.addMember(org, 'viewer');
    expect((await ack({ model_partition: M, reason: 'x', pairs: [pair(note2, gate, 2)] }, viewer.token)).status).toBe(403);
  });
});

describe('retire', () => {
  it('ends every partition\'s acceptance of a path, once; the pair then reads as never reviewed', async () => {
    const n = await text('kb/notes/gone.md', 'gone');
    await upload(env, org.ownerToken, P, [n]);
    await accept(env, org, P, M, [[n, gate]]);
    await accept(env, org, P, 'm2', [[n, gate]]);
    const first = await env.request('POST', `/v1/projects/${P}/retire`, { token: org.ownerToken, body: { paths: [n.path], reason: 'deleted' } });
    expect(first.status).toBe(200);
    expect(first.json.retired.map((r: any) => [r.model_partition, r.revision]).sort()).toEqual([[M, 2], ['m2', 2]]);
    const second = await env.request('POST', `/v1/projects/${P}/retire`, { token: org.ownerToken, body: { paths: [n.path] } });
    expect(second.json.retired).toEqual([]);
    const after = await select(env, org.ownerToken, P, { model_partition: M, notes: manifest([n]), gates: manifest([gate]) });
    expect(after.json.pairs[0]).toMatchObject({ status: 'missing', reason: 'never_reviewed', revision: 2 });
    // A later review continues the revision sequence.
    await accept(env, org, P, M, [[n, gate]]);
    const again = await select(env, org.ownerToken, P, { model_partition: M, notes: manifest([n]), gates: manifest([gate]), include_fresh: true });
    expect(again.json.pairs[0]).toMatchObject({ status: 'fresh', revision: 3 });
  });

  it('retiring a gate ends its pairs with every note', async () => {
    const g = await text('kb/gates/old.md', 'old gate');
    const n1 = await text('kb/notes/x1.md', 'x1');
    const n2 = await text('kb/notes/x2.md', 'x2');
    await upload(env, org.ownerToken, P, [g, n1, n2]);
    await accept(env, org, P, M, [[n1, g], [n2, g]]);
    const reply = await env.request('POST', `/v1/projects/${P}/retire`, { token: org.ownerToken, body: { paths: [g.path] } });
    expect(reply.json.retired).toHaveLength(2);
  });
});

describe('diff', () => {
  it('shows unified diffs of what changed since acceptance', async () => {
    const n = await text('kb/notes/d.md', '# D\n\nline one\nline two\n');
    const n2b = await text('kb/notes/d.md', '# D\n\nline one\nline 2\n');
    await upload(env, org.ownerToken, P, [n, n2b]);
    await accept(env, org, P, M, [[n, gate]]);
    const reply = await env.request('GET', `/v1/projects/${P}/diff?note_path=${n.path}&gate_path=${gate.path}&model_partition=${M}&note_sha256=${n2b.sha256}&gate_sha256=${gate.sha256}`, { token: org.ownerToken });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ status: 'stale', reason: 'note_changed', revision: 1 });
    expect(reply.json.note.diff).toContain('-line two');
    expect(reply.json.note.diff).toContain('+line 2');
    expect(reply.json.gate).toMatchObject({ changed: false, diff: null });
  });

  it('says when an accepted text was collected, and still compares hashes', async () => {
    const n = await text('kb/notes/collected.md', 'old text');
    const n2c = await text('kb/notes/collected.md', 'new text');
    const g = await text('kb/gates/collected-gate.md', 'gate');
    await upload(env, org.ownerToken, P, [n, g]);
    await accept(env, org, P, M, [[n, g]]);
    const history = await env.request('GET', `/v1/projects/${P}/acceptance?note_path=${n.path}&gate_path=${g.path}&model_partition=${M}`, { token: org.ownerToken });
    const eventId = history.json.items[0].id;
    await upload(env, org.ownerToken, P, [n2c]);
    await env.request('POST', `/v1/projects/${P}/acks`, { token: org.ownerToken, body: { model_partition: M, reason: 'r', pairs: [pair(n2c, g, 1)] } });
    const gc = await env.request('POST', `/v1/projects/${P}/gc`, { token: org.ownerToken, body: { dry_run: false, min_age_seconds: 0 } });
    expect(gc.json.snapshots).toBeGreaterThanOrEqual(1);
    const reply = await env.request('GET', `/v1/projects/${P}/diff?note_path=${n.path}&gate_path=${g.path}&model_partition=${M}&note_sha256=${n2c.sha256}&gate_sha256=${g.sha256}&event_id=${eventId}`, { token: org.ownerToken });
    expect(reply.json.note).toMatchObject({ changed: true, accepted_sha256: n.sha256, accepted_text_available: false, current_text_available: true, diff: null });
  });

  it('a pair never reviewed diffs as missing', async () => {
    const reply = await env.request('GET', `/v1/projects/${P}/diff?note_path=kb/notes/none.md&gate_path=${gate.path}&model_partition=${M}&note_sha256=${'a'.repeat(64)}&gate_sha256=${gate.sha256}`, { token: org.ownerToken });
    expect(reply.json).toMatchObject({ status: 'missing', reason: 'never_reviewed', revision: null });
  });
});
