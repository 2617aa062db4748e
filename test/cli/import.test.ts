// `gatehouse import` over the real Commonplace store, on both databases:
// parity with the store (every accepted pair fresh; after edits, exactly the
// stale pairs and reasons the store's own baselines imply), idempotent
// re-import, an interrupted import resumed, a corrupted store reported, and
// a dry run that changes nothing.
import { copyFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { CORPUS_ROOT, gatehouse, openSqlite, serveApp, shrinkStore, storeBaselines, unpackStore } from '../support/commonplace.js';

let env: TestEnv;
let org: OrgFixture;
let http: Awaited<ReturnType<typeof serveApp>>;
let dir: string;
let kb: string;
let store: string;
let small: string;
const PARTITION = 'synthetic-bench';

async function project(slug: string) {
  await env.createProject(org.ownerToken, { slug });
  const root = join(dir, `kb-${slug}`);
  await cp(join(CORPUS_ROOT, 'kb'), join(root, 'kb'), { recursive: true });
  await writeFile(join(root, 'gatehouse.json'), JSON.stringify({
    api: http.url, project: slug, notes: ['kb/notes/**/*.md'], gates: ['kb/instructions/review-gates/**/*.md'], partition: PARTITION,
  }));
  return root;
}

const events = async (slug: string) => rowsOf<{ n: number }>(await env.database.db.execute(sql`
  select count(*)::int as n from acceptance_events e join projects p on p.id = e.project_id where p.slug = ${slug}`))[0].n;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  http = await serveApp((req) => env.app.fetch(req));
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-import-'));
  store = await unpackStore(join(dir, 'commonplace-store.sqlite'));
  small = join(dir, 'small-store.sqlite');
  await copyFile(store, small);
  shrinkStore(small, 400);
  kb = await project('parity');
});
afterAll(async () => {
  await http?.close();
  await env?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('gatehouse import: parity with the Commonplace store', () => {
  it('imports all 14,177 baselines into an empty project, and status --accepted reports every one fresh', async () => {
    const run = await gatehouse(kb, org.ownerToken, 'import', store, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ format: 'gatehouse-import/1', counts: { imported: 14177, skipped: 0, refused: 0 }, texts: { checked: 397, uploaded: 397, refused: 0 } });
    const status = await gatehouse(kb, org.ownerToken, 'status', '--accepted', '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(status.json.counts).toEqual({ fresh: 14177, stale: 0, missing: 0, total: 14177 });
    // Provenance of one imported pair, straight from the history.
    const [first] = storeBaselines(store);
    const q = new URLSearchParams({ note_path: first.note_path, gate_path: first.criterion_path, model_partition: PARTITION });
    const history = await env.request('GET', `/v1/projects/parity/acceptance?${q}`, { token: org.ownerToken });
    expect(history.json.items[0]).toMatchObject({
      kind: 'import', outcome: 'pass', note_sha256: first.note_sha256,
      provenance: { source: 'commonplace', store_file: 'commonplace-store.sqlite', runner: 'synthetic-worker-script', source_partition: PARTITION, accepted_at: expect.any(String), job_id: expect.any(String) },
    });
  });

  it('re-running the import adds nothing and says so', async () => {
    const before = await events('parity');
    const run = await gatehouse(kb, org.ownerToken, 'import', store, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.counts).toEqual({ imported: 0, skipped: 14177, refused: 0 });
    expect(run.json.reasons).toEqual({ already_imported: 14177 });
    expect(run.json.texts.uploaded).toBe(0);
    expect(await events('parity')).toBe(before);
  });

  it('after editing a title, a body, a description and a gate, the stale pairs and reasons are exactly those the store implies', async () => {
    const baselines = storeBaselines(store);
    const notes = [...new Set(baselines.map((b) => b.note_path))].filter((p) => p.startsWith('kb/notes/') && p !== 'kb/notes/COLLECTION.md');
    const texts = new Map(await Promise.all(notes.map(async (p) => [p, await readFile(join(kb, p), 'utf8')] as const)));
    const editable = notes.filter((p) => /^description: .+$/m.test(texts.get(p)!) && /^# .+$/m.test(texts.get(p)!));
    const [titled, bodied, described] = editable;
    const gate = 'kb/instructions/review-gates/structural/compound-bullet.md';
    const edit = async (path: string, change: (t: string) => string) => {
      const before = await readFile(join(kb, path), 'utf8');
      const after = change(before);
      expect(after).not.toBe(before);
      await writeFile(join(kb, path), after);
    };
    await edit(titled, (t) => t.replace(/^# (.+)$/m, '# $1, retitled'));
    await edit(bodied, (t) => `${t}\nOne more sentence in the body.\n`);
    await edit(described, (t) => t.replace(/^description: (.+)$/m, 'description: "A different description."'));
    await edit(gate, (t) => `${t}\nAlso check nested bullets.\n`);

    // The expectation, from the store's own view: a pair is stale when its note or its gate changed.
    const changedNotes = new Set([titled, bodied, described]);
    const expected = baselines
      .filter((b) => changedNotes.has(b.note_path) || b.criterion_path === gate)
      .map((b) => ({
        note_path: b.note_path, gate_path: b.criterion_path,
        reason: changedNotes.has(b.note_path) && b.criterion_path === gate ? 'both_changed' : changedNotes.has(b.note_path) ? 'note_changed' : 'gate_changed',
      }))
      .sort((x, y) => x.note_path.localeCompare(y.note_path) || x.gate_path.localeCompare(y.gate_path));
    expect(expected.length).toBeGreaterThan(350);

    const status = await gatehouse(kb, org.ownerToken, 'status', '--accepted', '--json');
    expect(status.code).toBe(1);
    const actual = status.json.pairs.map((p: any) => ({ note_path: p.note_path, gate_path: p.gate_path, reason: p.reason }))
      .sort((x: any, y: any) => x.note_path.localeCompare(y.note_path) || x.gate_path.localeCompare(y.gate_path));
    expect(actual).toEqual(expected);
    expect(status.json.pairs.every((p: any) => p.status === 'stale')).toBe(true);
    expect(status.json.counts).toEqual({ fresh: 14177 - expected.length, stale: expected.length, missing: 0, total: 14177 });
  });
});

describe('gatehouse import: interruptions, broken stores, dry runs', () => {
  it('an interrupted import resumes: the committed batches are skipped, the rest imported', async () => {
    const root = await project('resume');
    http.failImports(2);
    const cut = await gatehouse(root, org.ownerToken, 'import', small, '--batch-size', '100');
    http.healImports();
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/injected outage/);
    expect(await events('resume')).toBe(200);
    const resumed = await gatehouse(root, org.ownerToken, 'import', small, '--batch-size', '100', '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json.counts).toEqual({ imported: 200, skipped: 200, refused: 0 });
    const status = await gatehouse(root, org.ownerToken, 'status', '--accepted', '--json');
    expect(status.json.counts).toMatchObject({ fresh: 400, stale: 0, missing: 0 });
  });

  it('a corrupted store: a tampered text and a dangling reference are reported with their rows and skipped, or refused whole with --strict', async () => {
    const broken = join(dir, 'broken-store.sqlite');
    await copyFile(small, broken);
    const db = openSqlite(broken, false);
    const tampered = db.prepare("select accepted_snapshot_id as id, artifact_path as path from freshness_inputs where target_id = 1 and input_role = 'note'").get() as { id: number; path: string };
    db.prepare('update artifact_snapshots set content_text = content_text || ? where snapshot_id = ?').run('\ntampered\n', tampered.id);
    const victims = (db.prepare("select count(*) as n from freshness_inputs where accepted_snapshot_id = ?").get(tampered.id) as { n: number }).n;
    const dangling = db.prepare("select target_id from freshness_inputs where input_role = 'note' and accepted_snapshot_id <> ? order by target_id desc limit 1").get(tampered.id) as { target_id: number };
    db.prepare("update freshness_inputs set accepted_snapshot_id = 999999 where target_id = ? and input_role = 'criterion'").run(dangling.target_id);
    db.close();

    const root = await project('broken');
    const strict = await gatehouse(root, org.ownerToken, 'import', broken, '--strict', '--json');
    expect(strict.code).toBe(1);
    expect(strict.json).toMatchObject({ refused_whole_store: true, counts: { imported: 0 } });
    expect(await events('broken')).toBe(0);

    const run = await gatehouse(root, org.ownerToken, 'import', broken, '--json');
    expect(run.code).toBe(1);
    expect(run.json.counts).toEqual({ imported: 400 - victims - 1, skipped: 0, refused: victims + 1 });
    expect(run.json.reasons).toEqual({ snapshot_hash_mismatch: victims, dangling_reference: 1 });
    expect(run.json.texts.refused).toBe(1);
    expect(run.json.refused).toContainEqual(expect.objectContaining({ target_id: 1, reason: 'snapshot_hash_mismatch', note_path: tampered.path }));
    expect(run.json.refused).toContainEqual(expect.objectContaining({ target_id: dangling.target_id, reason: 'dangling_reference', detail: expect.stringMatching(/999999/) }));
    // The tampered text never reached the server.
    const held = await env.request('GET', `/v1/projects/broken/snapshots/${'0'.repeat(64)}?path=${tampered.path}`, { token: org.ownerToken });
    expect(held.status).toBe(404);
    expect(await events('broken')).toBe(400 - victims - 1);
  });

  it('an unknown schema is refused before anything is sent; an unknown schema version as --strict says', async () => {
    const odd = join(dir, 'odd-store.sqlite');
    await copyFile(small, odd);
    const db = openSqlite(odd, false);
    db.exec('drop view current_review_freshness_baselines; drop table review_freshness_evidence;');
    db.close();
    const root = await project('odd');
    const run = await gatehouse(root, org.ownerToken, 'import', odd);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown schema: no table review_freshness_evidence/);
    expect(await events('odd')).toBe(0);

    // A schema version this importer was not checked against: read with a warning, or refused whole with --strict.
    const later = join(dir, 'later-store.sqlite');
    await copyFile(small, later);
    const v = openSqlite(later, false);
    v.exec('pragma user_version = 99');
    v.close();
    const warned = await gatehouse(root, org.ownerToken, 'import', later, '--dry-run', '--json');
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.json.warnings[0]).toMatch(/schema version 99/);
    expect(warned.json.counts.imported).toBe(400);
    const strict = await gatehouse(root, org.ownerToken, 'import', later, '--strict', '--json');
    expect(strict.code).toBe(1);
    expect(strict.json).toMatchObject({ refused_whole_store: true, reasons: { unknown_schema: 1 } });
    expect(await events('odd')).toBe(0);
  });

  it('a dry run says what would happen and changes nothing; --partition-map renames through the registry', async () => {
    const root = await project('dry');
    const dry = await gatehouse(root, org.ownerToken, 'import', small, '--dry-run', '--partition-map', `${PARTITION}=renamed`, '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json).toMatchObject({ dry_run: true, counts: { imported: 400, skipped: 0, refused: 0 } });
    expect(dry.json.texts.uploaded).toBeGreaterThan(0);
    expect(await events('dry')).toBe(0);
    const snapshots = rowsOf<{ n: number }>(await env.database.db.execute(sql`select count(*)::int as n from snapshots s join projects p on p.id = s.project_id where p.slug = 'dry'`))[0].n;
    expect(snapshots).toBe(0);
    const registry = await env.request('GET', '/v1/projects/dry/registry', { token: org.ownerToken });
    expect(registry.json.partitions).toEqual([]);

    const real = await gatehouse(root, org.ownerToken, 'import', small, '--partition-map', `${PARTITION}=renamed`, '--json');
    expect(real.json.counts.imported).toBe(400);
    const listed = await env.request('GET', '/v1/projects/dry/acceptance?model_partition=renamed&limit=1', { token: org.ownerToken });
    expect(listed.json.items[0]).toMatchObject({ model_partition: 'renamed', kind: 'import' });
  });
});
