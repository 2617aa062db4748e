import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectAllProjects } from '../../src/freshness/gc.js';
import { rowsOf } from '../../src/platform/db.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { accept, manifest, text, upload } from '../support/freshness.js';

let env: TestEnv;
let org: OrgFixture;
const P = 'gc';
const M = 'm';

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  await env.createProject(org.ownerToken, { slug: P });
});
afterAll(() => env.close());

const gc = (body: Record<string, unknown>, token = org.ownerToken) => env.request('POST', `/v1/projects/${P}/gc`, { token, body });
const held = async (paths: string[]) => {
  const missing = await env.request('POST', `/v1/projects/${P}/snapshots/missing`, {
    token: org.ownerToken,
    body: { files: paths.map((p) => ({ path: p.split('@')[0], sha256: p.split('@')[1] })) },
  });
  return paths.length - missing.json.missing.length;
};

describe('snapshot GC', () => {
  it('collects only unreferenced texts, after the grace period, and counts first on a dry run', async () => {
    const note = await text('kb/notes/keep.md', 'keep');
    const gate = await text('kb/gates/g.md', 'gate');
    const orphan = await text('kb/notes/orphan.md', 'orphan text');
    await upload(env, org.ownerToken, P, [note, gate, orphan]);
    await accept(env, org, P, M, [[note, gate]]);

    const young = await gc({ dry_run: false });
    expect(young.json).toMatchObject({ snapshots: 0, min_age_seconds: 3600 });
    const dry = await gc({ dry_run: true, min_age_seconds: 0 });
    expect(dry.json).toMatchObject({ dry_run: true, snapshots: 1, bytes: 11 });
    expect(await held([`${orphan.path}@${orphan.sha256}`])).toBe(1);
    const real = await gc({ dry_run: false, min_age_seconds: 0 });
    expect(real.json).toMatchObject({ dry_run: false, snapshots: 1, bytes: 11 });
    expect(await held([`${orphan.path}@${orphan.sha256}`, `${note.path}@${note.sha256}`, `${gate.path}@${gate.sha256}`])).toBe(2);
  });

  it('a retired pair\'s texts become collectable', async () => {
    const note = await text('kb/notes/retired.md', 'retired');
    const gate = await text('kb/gates/retired-gate.md', 'retired gate');
    await upload(env, org.ownerToken, P, [note, gate]);
    await accept(env, org, P, M, [[note, gate]]);
    expect((await gc({ dry_run: true, min_age_seconds: 0 })).json.snapshots).toBe(0);
    await env.request('POST', `/v1/projects/${P}/retire`, { token: org.ownerToken, body: { paths: [note.path] } });
    expect((await gc({ dry_run: false, min_age_seconds: 0 })).json.snapshots).toBe(2);
  });

  it('the database refuses to delete a referenced snapshot, whatever asks', async () => {
    const note = await text('kb/notes/fk.md', 'fk');
    const gate = await text('kb/gates/fk.md', 'fk gate');
    await upload(env, org.ownerToken, P, [note, gate]);
    await accept(env, org, P, M, [[note, gate]]);
    await expect(env.database.db.execute(sql`delete from snapshots where path = ${note.path}`)).rejects.toThrow();
  });

  it('the scheduled run collects every project of every org', async () => {
    const other = await env.createOrg();
    await env.createProject(other.ownerToken, { slug: 'p2' });
    const orphan = await text('kb/notes/o.md', 'o');
    await upload(env, other.ownerToken, 'p2', [orphan]);
    await env.database.db.execute(sql`update snapshots set created_at = now() - interval '2 hours' where path = 'kb/notes/o.md'`);
    const result = await collectAllProjects(env.database.db, new Date());
    expect(result.snapshots).toBeGreaterThanOrEqual(1);
    expect(result.failed).toBe(0);
  });

  it('needs org:admin', async () => {
    const member = await env.addMember(org, 'member');
    expect((await gc({ dry_run: true }, member.token)).status).toBe(403);
  });
});

describe('integrity check', () => {
  it('reports a clean project as ok', async () => {
    const reply = await env.request('GET', `/v1/projects/${P}/integrity?rehash=all`, { token: org.ownerToken });
    expect(reply.status).toBe(200);
    expect(reply.json.ok).toBe(true);
    expect(reply.json.findings).toEqual([]);
    expect(reply.json.checked.snapshots_rehashed).toBe(reply.json.checked.snapshots);
  });

  it('finds a tampered body, and a current row that drifted from its events', async () => {
    const note = await text('kb/notes/tamper.md', 'original');
    const gate = await text('kb/gates/tamper.md', 'gate');
    await upload(env, org.ownerToken, P, [note, gate]);
    await accept(env, org, P, M, [[note, gate]]);
    // Corrupt behind the API's back, as the owner role could.
    await env.database.db.execute(sql`update snapshots set body = 'tampered text' where path = ${note.path}`);
    await env.database.db.execute(sql`update acceptance_current set revision = 9 where note_path = ${note.path}`);
    const reply = await env.request('GET', `/v1/projects/${P}/integrity?rehash=all`, { token: org.ownerToken });
    expect(reply.json.ok).toBe(false);
    const kinds = reply.json.findings.map((f: any) => f.kind).sort();
    expect(kinds).toEqual(['current_differs_from_latest_event', 'hash_mismatch', 'size_mismatch']);
    expect(reply.json.findings.find((f: any) => f.kind === 'hash_mismatch').path).toBe(note.path);
    const [row] = rowsOf<{ n: number }>(await env.database.db.execute(sql`select count(*)::int as n from snapshots where body = 'tampered text'`));
    expect(row.n).toBe(1); // the check reports; it does not repair
  });

  it('needs org:admin', async () => {
    const member = await env.addMember(org, 'member');
    expect((await env.request('GET', `/v1/projects/${P}/integrity`, { token: member.token })).status).toBe(403);
  });
});
