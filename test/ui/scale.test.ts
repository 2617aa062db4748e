// Usable at 10,000 notes: beyond ROW_LIMIT notes the heatmap draws folders
// (proportions per gate) that open into their notes, a flat folder a page at
// a time; counts still cover every pair, as the API select counts them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layout, PAGE_SIZE, ROW_LIMIT } from '../../src/ui/data/heatmap.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { sql } from 'drizzle-orm';
import { type AcceptanceInput, recordAcceptance } from '../../src/freshness/acceptance.js';
import { rowsOf, withTenant } from '../../src/platform/db.js';
import { manifest, text, upload, type Text } from '../support/freshness.js';
import { UiClient } from './client.js';

const NOTES = 10_000;
const GATES = 42;
let env: TestEnv;
let org: OrgFixture;
let slug: string;
let notes: Text[];
let gates: Text[];

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  slug = (await env.createProject(org.ownerToken)).slug;
  // 50 folders of 200 notes.
  notes = await Promise.all(Array.from({ length: NOTES }, (_, i) => text(`kb/notes/f${String(i % 50).padStart(2, '0')}/n${String(i).padStart(5, '0')}.md`, `# note ${i}\n`)));
  gates = await Promise.all(Array.from({ length: GATES }, (_, i) => text(`kb/gates/g${String(i).padStart(2, '0')}.md`, `# gate ${i}\n`)));
  for (let i = 0; i < notes.length; i += 1000) await upload(env, org.ownerToken, slug, notes.slice(i, i + 1000));
  await upload(env, org.ownerToken, slug, gates);
  // Folder f00 is reviewed against every gate; the rest is missing.
  // In bulk (the per-pair fixture makes three round trips a pair: minutes over the Neon driver).
  await withTenant(env.database.db, { orgId: org.id }, async (tx) => {
    const [project] = rowsOf<{ id: string }>(await tx.execute(sql`select id from projects where slug = ${slug}`));
    const ids = new Map(rowsOf<{ id: string; path: string }>(await tx.execute(sql`select id, path from snapshots where project_id = ${project.id}`)).map((r) => [r.path, r.id]));
    const events: AcceptanceInput[] = notes.filter((n) => n.path.includes('/f00/')).flatMap((n) => gates.map((g) => ({
      notePath: n.path, gatePath: g.path, modelPartition: 'p', kind: 'review' as const, noteSnapshotId: ids.get(n.path)!, gateSnapshotId: ids.get(g.path)!,
      noteSha256: n.sha256, gateSha256: g.sha256, outcome: 'pass' as const, expectedRevision: null,
    })));
    await recordAcceptance(tx, { member: { orgId: org.id, userId: org.ownerId, tokenId: null } }, project.id, events, new Date());
  });
}, 600_000);

afterAll(async () => env?.close());

describe('heatmap at 10,000 notes x 42 gates', () => {
  it('draws folder rows with per-gate proportions, quickly, with counts for every pair', async () => {
    const ui = new UiClient(env);
    await ui.signIn(org.ownerToken);
    const started = Date.now();
    const page = await ui.get(`/ui/projects/${slug}?partition=p`);
    const ms = Date.now() - started;
    console.log(`10,000 x 42 heatmap (folders): ${ms} ms, ${page.html.length} bytes`);
    expect(page.status).toBe(200);
    expect(page.html).toContain(`fresh ${200 * GATES} (2%)`);
    expect(page.html).toContain(`of ${NOTES * GATES}`);
    const folderRows = [...page.html.matchAll(/<th scope="row"><a href="[^"]*prefix=kb%2Fnotes%2Ff(\d\d)%2F/g)];
    expect(folderRows).toHaveLength(50);
    expect(page.html).toContain('<td class="c q4" title="G1: fresh 200, stale 0, missing 0">100</td>');
    expect(page.html).toContain('<td class="c q0" title="G42: fresh 0, stale 0, missing 200">0</td>');
    // The org overview counts the same way, without listing 420,000 pairs.
    const overview = await ui.get('/ui');
    expect(overview.html).toContain(`fresh ${200 * GATES} (2%) · stale 0 (0%) · missing ${(NOTES - 200) * GATES} (98%) of ${NOTES * GATES}`);
    expect(page.html.length).toBeLessThan(400_000);
    expect(ms).toBeLessThan(20_000);
  });

  it('opens a folder into one row per note, matching the API select', async () => {
    const ui = new UiClient(env);
    await ui.signIn(org.ownerToken);
    const page = await ui.get(`/ui/projects/${slug}?partition=p&prefix=${encodeURIComponent('kb/notes/f01/')}`);
    const cells = [...page.html.matchAll(/<td class="c (\w)">/g)].map((m) => m[1]);
    expect(cells).toHaveLength(200 * GATES);
    const inFolder = notes.filter((n) => n.path.startsWith('kb/notes/f01/'));
    const api = await env.request('POST', `/v1/projects/${slug}/freshness`, { token: org.ownerToken, body: { model_partition: 'p', notes: manifest(inFolder), gates: manifest(gates), include_fresh: true } });
    expect(cells).toEqual(api.json.pairs.map((p: any) => p.status[0]));
  });
});

describe('layout', () => {
  const paths = (n: number, dir: string) => Array.from({ length: n }, (_, i) => `${dir}/n${String(i).padStart(5, '0')}.md`);
  it('draws every note when there are few', () => {
    expect(layout(paths(ROW_LIMIT, 'kb'), '')).toEqual({ prefix: '', folders: [], files: paths(ROW_LIMIT, 'kb') });
  });
  it('opens single-folder chains, groups subfolders, and leaves direct files to pages', () => {
    const all = [...paths(300, 'kb/notes/a'), ...paths(300, 'kb/notes/b'), ...paths(10, 'kb/notes')];
    const shape = layout(all, '');
    expect(shape.prefix).toBe('kb/notes/');
    expect(shape.folders.map(([f, n]) => [f, n.length])).toEqual([['kb/notes/a/', 300], ['kb/notes/b/', 300]]);
    expect(shape.files).toHaveLength(10);
    const flat = layout(paths(5000, 'kb/notes'), '');
    expect(flat.folders).toEqual([]);
    expect(flat.files).toHaveLength(5000);
    expect(Math.ceil(flat.files.length / PAGE_SIZE)).toBe(25);
  });
});
