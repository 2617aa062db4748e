import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/platform/db.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { manifest, text, upload } from '../support/freshness.js';

let env: TestEnv;
let org: OrgFixture;
const P = 'snaps';

beforeAll(async () => {
  env = await TestEnv.start({ limits: { maxSnapshotBytes: 4096, maxSnapshotsPerBatch: 5, maxBodyBytes: 1024 * 1024 } });
  org = await env.createOrg();
  await env.createProject(org.ownerToken, { slug: P });
});
afterAll(() => env.close());

const count = async () => rowsOf<{ n: number }>(await env.database.db.execute(sql`select count(*)::int as n from snapshots`))[0].n;

describe('snapshots', () => {
  it('tells which texts the server lacks, stores a batch, and treats duplicates as free', async () => {
    const a = await text('kb/notes/a.md', '# A\n\nalpha\n');
    const b = await text('kb/notes/b.md', '# B\n\nbéta ✓ 𝄞\n');
    const before = await env.request('POST', `/v1/projects/${P}/snapshots/missing`, { token: org.ownerToken, body: { files: manifest([a, b]) } });
    expect(before.json.missing).toEqual(manifest([a, b]));
    const first = await upload(env, org.ownerToken, P, [a, b]);
    expect(first).toMatchObject({ stored: 2, already_held: 0 });
    expect(first.files[1].byte_size).toBe(new TextEncoder().encode(b.body).byteLength);
    const again = await upload(env, org.ownerToken, P, [a, b]);
    expect(again).toMatchObject({ stored: 0, already_held: 2 });
    const after = await env.request('POST', `/v1/projects/${P}/snapshots/missing`, { token: org.ownerToken, body: { files: manifest([a, b]) } });
    expect(after.json.missing).toEqual([]);
  });

  it('returns a text as JSON or as markdown, exactly as uploaded', async () => {
    const t = await text('kb/notes/exact.md', '---\ntitle: x\n---\n\n  trailing spaces  \r\nCRLF line\n');
    await upload(env, org.ownerToken, P, [t]);
    const json = await env.request('GET', `/v1/projects/${P}/snapshots/${t.sha256}?path=${encodeURIComponent(t.path)}`, { token: org.ownerToken });
    expect(json.json).toMatchObject({ sha256: t.sha256, path: t.path, body: t.body });
    const md = await env.request('GET', `/v1/projects/${P}/snapshots/${t.sha256}`, { token: org.ownerToken, headers: { accept: 'text/markdown' } });
    expect(md.headers.get('content-type')).toContain('text/markdown');
    expect(md.text).toBe(t.body);
    const none = await env.request('GET', `/v1/projects/${P}/snapshots/${'0'.repeat(64)}`, { token: org.ownerToken });
    expect(none.status).toBe(404);
  });

  it('refuses the whole batch when one claimed hash differs, and stores nothing', async () => {
    const good = await text('kb/notes/good.md', 'good');
    const bad = { ...(await text('kb/notes/bad.md', 'bad')), sha256: 'f'.repeat(64) };
    const n = await count();
    const reply = await env.request('POST', `/v1/projects/${P}/snapshots`, { token: org.ownerToken, body: { files: [good, bad].map(({ path, sha256, body }) => ({ path, sha256, body })) } });
    expect(reply.status).toBe(422);
    expect(reply.json.errors).toEqual([expect.objectContaining({ path: 'body.files.1.sha256' })]);
    expect(await count()).toBe(n);
  });

  it('refuses bad paths, NUL, and text that is not valid UTF-8', async () => {
    for (const path of ['/abs.md', '../up.md', 'a/../b.md', 'a//b.md', 'a\\b.md', 'a/./b.md', 'x\u0001.md', 'trailing/', 'C:/x.md', '']) {
      const t = await text(path, 'x');
      const reply = await env.request('POST', `/v1/projects/${P}/snapshots`, { token: org.ownerToken, body: { files: [t] } });
      expect(reply.status, JSON.stringify(path)).toBe(422);
      expect(reply.json.errors[0].path).toMatch(/^body\.files\.0\.path/);
    }
    const nul = await text('kb/nul.md', 'a\u0000b');
    expect((await env.request('POST', `/v1/projects/${P}/snapshots`, { token: org.ownerToken, body: { files: [nul] } })).status).toBe(422);
    const raw = `{"files":[{"path":"kb/s.md","sha256":"${'a'.repeat(64)}","body":"\\ud800"}]}`;
    const surrogate = await env.request('POST', `/v1/projects/${P}/snapshots`, { token: org.ownerToken, rawBody: raw, headers: { 'content-type': 'application/json' } });
    expect(surrogate.status).toBe(422);
    expect(surrogate.json.errors[0].message).toMatch(/UTF-8/);
  });

  it('answers 413 naming the limit for an oversized file or batch', async () => {
    const big = await text('kb/big.md', 'x'.repeat(5000));
    const one = await env.request('POST', `/v1/projects/${P}/snapshots`, { token: org.ownerToken, body: { files: [big] } });
    expect(one.status).toBe(413);
    expect(one.json).toMatchObject({ code: 'payload_too_large', limit: 'max_snapshot_bytes', limit_value: 4096 });
    const many = await Promise.all(Array.from({ length: 6 }, (_, i) => text(`kb/many/${i}.md`, `${i}`)));
    const batch = await env.request('POST', `/v1/projects/${P}/snapshots`, { token: org.ownerToken, body: { files: many } });
    expect(batch.status).toBe(413);
    expect(batch.json.limit).toBe('max_snapshots_per_batch');
  });

  it('keeps projects apart: the same text in two projects is two snapshots', async () => {
    await env.createProject(org.ownerToken, { slug: 'other-snaps' });
    const t = await text('kb/notes/shared.md', 'shared');
    await upload(env, org.ownerToken, P, [t]);
    const missing = await env.request('POST', '/v1/projects/other-snaps/snapshots/missing', { token: org.ownerToken, body: { files: manifest([t]) } });
    expect(missing.json.missing).toHaveLength(1);
  });

  it('a viewer may read but not upload', async () => {
    const viewer = await env.addMember(org, 'viewer');
    const t = await text('kb/notes/v.md', 'v');
    expect((await env.request('POST', `/v1/projects/${P}/snapshots`, { token: viewer.token, body: { files: [t] } })).status).toBe(403);
    expect((await env.request('POST', `/v1/projects/${P}/snapshots/missing`, { token: viewer.token, body: { files: manifest([t]) } })).status).toBe(200);
  });
});
