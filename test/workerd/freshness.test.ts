// Freshness routes through the Worker entry inside workerd, and the cron
// trigger's scheduled GC.
import { env, exports } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/freshness/names.js';
import { rowsOf } from '../../src/platform/db.js';
import { neonPool } from '../../src/platform/drivers/neon.js';
import { call, createOrg, operatorToken, unique, type OrgFixture } from './client.js';

let org: OrgFixture;
let project: string;

const file = async (path: string, body: string) => ({ path, body, sha256: await sha256Hex(new TextEncoder().encode(body)) });

beforeAll(async () => {
  org = await createOrg(await operatorToken());
  project = unique('kb');
  const reply = await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug: project } });
  expect(reply.status, reply.text).toBe(201);
});

describe('freshness in workerd', () => {
  it('uploads texts, answers which are missing, and selects', async () => {
    const note = await file('kb/notes/a.md', '# A\n\nbody\n');
    const gate = await file('kb/gates/g.md', '---\nwatches: [body]\n---\n# G\n');
    const missing = await call('POST', `/v1/projects/${project}/snapshots/missing`, { token: org.ownerToken, body: { files: [note, gate].map(({ path, sha256 }) => ({ path, sha256 })) } });
    expect(missing.json.missing).toHaveLength(2);
    const uploaded = await call('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, body: { files: [note, gate] } });
    expect(uploaded.status, uploaded.text).toBe(200);
    expect(uploaded.json.stored).toBe(2);
    const bad = await call('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, body: { files: [{ ...note, sha256: 'f'.repeat(64) }] } });
    expect(bad.status).toBe(422);
    const selected = await call('POST', `/v1/projects/${project}/freshness`, {
      token: org.ownerToken,
      body: { model_partition: 'm', notes: [{ path: note.path, sha256: note.sha256 }], gates: [{ path: gate.path, sha256: gate.sha256 }] },
    });
    expect(selected.status, selected.text).toBe(200);
    expect(selected.json.counts).toEqual({ fresh: 0, stale: 0, missing: 1, total: 1 });
    const text = await call('GET', `/v1/projects/${project}/snapshots/${note.sha256}`, { token: org.ownerToken });
    expect(text.json.body).toBe(note.body);
    const md = await call('GET', `/v1/projects/${project}/snapshots/${note.sha256}`, { token: org.ownerToken, headers: { accept: 'text/markdown' } });
    expect(md.headers.get('content-type')).toContain('text/markdown');
    expect(md.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses bidi, zero-width and C1 characters in paths with a 422 naming the field, storing nothing', async () => {
    for (const ch of ['\u202E', '\u2066', '\u200B', '\uFEFF', '\u0085']) {
      const bad = await file(`kb/notes/evil${ch}dm.md`, '# evil\n');
      const reply = await call('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, body: { files: [bad] } });
      expect(reply.status, reply.text).toBe(422);
      expect(reply.json.errors.map((e: any) => e.path)).toContain('body.files.0.path');
      const stored = await call('GET', `/v1/projects/${project}/snapshots/${bad.sha256}`, { token: org.ownerToken });
      expect(stored.status).toBe(404);
    }
  });

  it('diff, retire, integrity and GC answer', async () => {
    const note = await file('kb/notes/a.md', '# A\n\nbody\n');
    const gate = await file('kb/gates/g.md', '---\nwatches: [body]\n---\n# G\n');
    const diff = await call('GET', `/v1/projects/${project}/diff?note_path=${note.path}&gate_path=${gate.path}&model_partition=m&note_sha256=${note.sha256}&gate_sha256=${gate.sha256}`, { token: org.ownerToken });
    expect(diff.json).toMatchObject({ status: 'missing', reason: 'never_reviewed' });
    const retire = await call('POST', `/v1/projects/${project}/retire`, { token: org.ownerToken, body: { paths: [note.path] } });
    expect(retire.json.retired).toEqual([]);
    const integrity = await call('GET', `/v1/projects/${project}/integrity?rehash=all`, { token: org.ownerToken });
    expect(integrity.json).toMatchObject({ ok: true, checked: { snapshots: 2, snapshots_rehashed: 2 } });
    const gc = await call('POST', `/v1/projects/${project}/gc`, { token: org.ownerToken, body: { dry_run: true, min_age_seconds: 0 } });
    expect(gc.json).toMatchObject({ dry_run: true, snapshots: 2 });
  });

  it('the cron trigger collects old unreferenced texts across projects', async () => {
    const orphan = await file('kb/notes/orphan.md', `orphan ${unique('x')}`);
    await call('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, body: { files: [orphan] } });
    // Age it past the grace period, as the owner role can, through the same driver.
    const { pool, db } = neonPool({ connectionString: env.DATABASE_URL!, wsProxy: env.GATEHOUSE_WS_PROXY });
    try {
      await db.execute(sql`update snapshots set created_at = now() - interval '2 hours' where sha256 = ${orphan.sha256}`);
      await exports.default.scheduled({ cron: '*/5 * * * *' });
      const left = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from snapshots where sha256 = ${orphan.sha256}`));
      expect(left[0].n).toBe(0);
    } finally {
      await pool.end();
    }
  });
});
