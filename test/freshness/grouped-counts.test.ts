// countFreshnessByGroup writes the select's rule in SQL for overviews of
// large projects; on a mix of fresh, stale (note, gate, both), never
// reviewed and retired pairs, its counts per group and gate must equal what
// selectFreshness says pair by pair.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countFreshnessByGroup, selectFreshness } from '../../src/freshness/select.js';
import { rowsOf, withTenant } from '../../src/platform/db.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { accept, manifest, text, upload, type Text } from '../support/freshness.js';

let env: TestEnv;
let org: OrgFixture;
let slug: string;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  slug = (await env.createProject(org.ownerToken)).slug;
});
afterAll(async () => env?.close());

describe('countFreshnessByGroup', () => {
  it('agrees with selectFreshness for every group and gate', async () => {
    const notes = await Promise.all(Array.from({ length: 12 }, (_, i) => text(`n/${i}.md`, `note ${i}`)));
    const gates = await Promise.all(Array.from({ length: 4 }, (_, i) => text(`g/${i}.md`, `gate ${i}`)));
    await upload(env, org.ownerToken, slug, [...notes, ...gates]);
    await accept(env, org, slug, 'm', notes.slice(0, 9).flatMap((n) => gates.map((g) => [n, g] as [Text, Text])));
    // Stale: notes 0-2 edited; gate 3 edited; note 4 retired.
    const edited = await Promise.all(notes.slice(0, 3).map((n) => text(n.path, `${n.body} v2`)));
    const gate3 = await text(gates[3].path, 'gate 3 v2');
    await upload(env, org.ownerToken, slug, [...edited, gate3]);
    const retired = await env.request('POST', `/v1/projects/${slug}/retire`, { token: org.ownerToken, body: { paths: [notes[4].path] } });
    expect(retired.status, retired.text).toBe(200);
    const now = [...edited, ...notes.slice(3)];
    const gatesNow = [...gates.slice(0, 3), gate3];

    await withTenant(env.database.db, { orgId: org.id }, async (tx) => {
      const [project] = rowsOf<{ id: string }>(await tx.execute(sql`select id from projects where slug = ${slug}`));
      const grouped = await countFreshnessByGroup(tx, project.id, { modelPartition: 'm', notes: manifest(now).map((n, i) => ({ ...n, group: i % 3 })), gates: manifest(gatesNow) });
      const listed = await selectFreshness(tx, project.id, { modelPartition: 'm', notes: manifest(now), gates: manifest(gatesNow), includeFresh: true });
      const expected = new Map<string, number>();
      for (const p of listed.pairs) {
        const key = `${now.findIndex((n) => n.path === p.note_path) % 3}|${p.gate_path}|${p.status}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      expect(new Map(grouped.map((g) => [`${g.group}|${g.gate_path}|${g.status}`, g.n]))).toEqual(expected);
      expect(new Set(listed.pairs.map((p) => p.status))).toEqual(new Set(['fresh', 'stale', 'missing']));
    });
  });
});
