// The dashboard shows paths stored before the path rule (issue 16, finding
// 10) with their bidi and zero-width characters as visible \uXXXX: the rows
// are written straight into the database, as an older server would have
// stored them, and every page that names the note or gate is checked.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { runnerCalls } from '../support/execution.js';
import { text, upload } from '../support/freshness.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { UiClient } from './client.js';

let env: TestEnv;
let org: OrgFixture;
let slug: string;
let jobId: string;
const NOTE = 'notes/evil\u202Edm.md';
const GATE = 'gates/zero\u200Bwidth.md';
const HIDDEN = /[\u200b\u202e]/;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  slug = (await env.createProject(org.ownerToken, { name: 'Old paths' })).slug;
  const note = await text('notes/evil-placeholder.md', '# Evil\n');
  const gate = await text('gates/zero-placeholder.md', '# Gate\n');
  await upload(env, org.ownerToken, slug, [note, gate]);
  const run = runnerCalls(env, org.ownerToken);
  await run.create(slug, { model_partition: 'm', items: [{ note_path: note.path, note_sha256: note.sha256, gate_path: gate.path, gate_sha256: gate.sha256 }] });
  const claim = (await run.claim({})).json;
  jobId = claim.job.id;
  await run.result(claim.job.id, claim.items[0].id, claim.lease.id, 'pass', '## Result: PASS');
  await run.finalize(claim.job.id, claim.lease.id);
  // Rename in every table of this project that holds a path, as if stored before the rule.
  const columns = rowsOf<{ table_name: string; column_name: string }>(await env.database.db.execute(sql`
    select c.table_name, c.column_name from information_schema.columns c
    where c.table_schema = 'public' and c.column_name in ('path', 'note_path', 'gate_path')
      and exists (select 1 from information_schema.columns p where p.table_schema = 'public' and p.table_name = c.table_name and p.column_name = 'project_id')`));
  expect(columns.length).toBeGreaterThanOrEqual(3);
  // Acceptance events are append-only (a trigger refuses updates): the rewrite skips triggers, as a restore would.
  await env.database.db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    for (const { table_name, column_name } of columns) {
      for (const [from, to] of [[note.path, NOTE], [gate.path, GATE]]) {
        await tx.execute(sql`update ${sql.identifier(table_name)} set ${sql.identifier(column_name)} = ${to} where ${sql.identifier(column_name)} = ${from}`);
      }
    }
  });
});
afterAll(() => env?.close());

describe('dashboard: paths with hidden characters', () => {
  const visibleNote = 'notes/evil\\u202Edm.md';
  const visibleGate = 'gates/zero\\u200Bwidth.md';
  const enc = encodeURIComponent;

  it('the heatmap, note, pair and job pages show them escaped, never the raw characters', async () => {
    const ui = new UiClient(env);
    await ui.signIn(org.ownerToken);
    const pages = {
      heatmap: `/ui/projects/${slug}?partition=m`,
      note: `/ui/projects/${slug}/note?partition=m&note=${enc(NOTE)}`,
      pair: `/ui/projects/${slug}/pair?partition=m&note=${enc(NOTE)}&gate=${enc(GATE)}`,
      job: `/ui/jobs/${jobId}`,
    };
    for (const [name, url] of Object.entries(pages)) {
      const page = await ui.get(url);
      expect(page.status, `${name}: ${page.html.slice(0, 200)}`).toBe(200);
      expect(page.html, name).not.toMatch(HIDDEN);
      if (name !== 'note') expect(page.html, name).toContain(visibleGate);
      if (name !== 'heatmap') expect(page.html, name).toContain(visibleNote);
    }
    // The heatmap names the note once its shared folder is taken off.
    expect((await ui.get(pages.heatmap)).html).toContain('evil\\u202Edm.md');
  });

  it('links still carry the stored path, percent-encoded, so they open the right pair', async () => {
    const ui = new UiClient(env);
    await ui.signIn(org.ownerToken);
    const note = await ui.get(`/ui/projects/${slug}/note?partition=m&note=${enc(NOTE)}`);
    expect(note.html).toContain(`gate=${enc(GATE)}`);
  });
});
