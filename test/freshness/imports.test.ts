// The import endpoint on its own: idempotent by source key, all or nothing
// per batch, the usual path, hash, partition and revision rules, org admins
// only, and in the audit log. The CLI over a real store is test/cli/import.test.ts.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { accept, manifest, select, text, upload, type Text } from '../support/freshness.js';

let env: TestEnv;
let org: OrgFixture;
const P = 'imports';
let n1: Text; let n2: Text; let n3: Text; let g: Text; let n1b: Text;
const source = { kind: 'commonplace', file_name: 'store.sqlite', sha256: 'c'.repeat(64) };

// The source partition follows the target unless a test renames: the source key is the source's identity.
const baseline = (n: Text, gate: Text, extra: Record<string, unknown> = {}) => ({
  note_path: n.path, note_sha256: n.sha256, gate_path: gate.path, gate_sha256: gate.sha256,
  model_partition: 'cp-model', source_partition: (extra.model_partition as string | undefined) ?? 'cp-model', revision: 1, outcome: 'pass', result_kind: 'verdict',
  accepted_at: '2026-11-22T01:57:08+00:00', job_id: '7', runner: 'codex', runner_model: 'gpt-5', runner_effort: 'high', ...extra,
});
const post = (body: Record<string, unknown>, token = org.ownerToken) => env.request('POST', `/v1/projects/${P}/imports`, { token, body: { source, ...body } });
const count = async (table: string) => rowsOf<{ n: number }>(await env.database.db.execute(sql.raw(`select count(*)::int as n from ${table}`)))[0].n;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  await env.createProject(org.ownerToken, { slug: P });
  [n1, n2, n3, g, n1b] = await Promise.all([
    text('kb/notes/one.md', '# One\n'), text('kb/notes/two.md', '# Two\n'), text('kb/notes/three.md', '# Three\n'),
    text('kb/gates/g.md', '# Gate\n'), text('kb/notes/one.md', '# One, later\n'),
  ]);
  await upload(env, org.ownerToken, P, [n1, n2, n3, g, n1b]);
});
afterAll(() => env.close());

describe('import endpoint', () => {
  it('records each baseline as an import acceptance with its provenance, fresh afterwards, and audits the batch', async () => {
    const reply = await post({ baselines: [baseline(n1, g), baseline(n2, g, { outcome: 'warn' })] });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.counts).toEqual({ received: 2, imported: 2, skipped: 0, refused: 0 });
    const history = await env.request('GET', `/v1/projects/${P}/acceptance?note_path=${n2.path}&gate_path=${g.path}&model_partition=cp-model`, { token: org.ownerToken });
    expect(history.json.items).toHaveLength(1);
    expect(history.json.items[0]).toMatchObject({
      kind: 'import', revision: 1, outcome: 'warn', note_sha256: n2.sha256,
      provenance: { source: 'commonplace', store_file: 'store.sqlite', store_sha256: 'c'.repeat(64), job_id: '7', runner: 'codex', runner_model: 'gpt-5', runner_effort: 'high', outcome: 'warn', accepted_at: '2026-11-22T01:57:08+00:00', source_partition: 'cp-model', source_revision: 1 },
    });
    const fresh = await select(env, org.ownerToken, P, { model_partition: 'cp-model', notes: manifest([n1, n2]), gates: manifest([g]) });
    expect(fresh.json.counts).toMatchObject({ fresh: 2, stale: 0, missing: 0 });
    const audit = await env.request('GET', '/v1/org/audit?action=acceptance.import', { token: org.ownerToken });
    expect(audit.json.items[0].after).toMatchObject({ imported: 2, skipped: 0, refused: 0, source: { file_name: 'store.sqlite' } });
  });

  it('re-running adds nothing and says so (source key), while new rows of the same batch go in', async () => {
    const events = await count('acceptance_events');
    const reply = await post({ baselines: [baseline(n1, g), baseline(n2, g, { outcome: 'warn' }), baseline(n3, g)] });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.counts).toEqual({ received: 3, imported: 1, skipped: 2, refused: 0 });
    expect(reply.json.reasons).toMatchObject({ already_imported: 2 });
    expect(await count('acceptance_events')).toBe(events + 1);
    const again = await post({ baselines: [baseline(n3, g)] });
    expect(again.json.counts).toEqual({ received: 1, imported: 0, skipped: 1, refused: 0 });
    expect(await count('acceptance_events')).toBe(events + 1);
  });

  it('a later baseline of the same pair advances the earlier import; an acceptance made here is never overwritten', async () => {
    const later = await post({ baselines: [baseline(n1b, g, { revision: 2, accepted_at: '2026-11-23T00:00:00+00:00' })] });
    expect(later.json.counts.imported).toBe(1);
    const history = await env.request('GET', `/v1/projects/${P}/acceptance?note_path=${n1.path}&gate_path=${g.path}&model_partition=cp-model`, { token: org.ownerToken });
    expect(history.json.revision).toBe(2);

    await accept(env, org, P, 'here', [[n1, g]]);
    const same = await post({ baselines: [baseline(n1, g, { model_partition: 'here' })] });
    expect(same.json.counts).toMatchObject({ imported: 0, skipped: 1 });
    expect(same.json.reasons.already_accepted).toBe(1);
    const other = await post({ baselines: [baseline(n1b, g, { model_partition: 'here', revision: 2, accepted_at: '2026-11-23T00:00:00+00:00' })] });
    expect(other.json.counts).toMatchObject({ imported: 0, refused: 1 });
    expect(other.json.refused[0]).toMatchObject({ note_path: n1.path, reason: 'pair_already_accepted' });
  });

  it('all or nothing: a batch naming a text the server lacks records nothing, and names it', async () => {
    const events = await count('acceptance_events');
    const ghost = await text('kb/notes/ghost.md', '# never uploaded\n');
    const reply = await post({ baselines: [baseline(n2, g, { model_partition: 'batch' }), baseline(ghost, g, { model_partition: 'batch' })] });
    expect(reply.status).toBe(422);
    expect(reply.json.missing_texts).toEqual([{ path: ghost.path, sha256: ghost.sha256 }]);
    expect(await count('acceptance_events')).toBe(events);
    const partitions = await env.request('GET', `/v1/projects/${P}/registry`, { token: org.ownerToken });
    expect(partitions.json.partitions.map((p: any) => p.model_partition)).not.toContain('batch');
  });

  it('refuses bad paths, hashes and duplicate pairs, naming the field', async () => {
    const bad = await post({ baselines: [baseline(n1, g, { note_path: '../etc/passwd' })] });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].path).toBe('body.baselines.0.note_path');
    const hash = await post({ baselines: [baseline(n1, g, { gate_sha256: 'XYZ' })] });
    expect(hash.json.errors[0].path).toBe('body.baselines.0.gate_sha256');
    const twice = await post({ baselines: [baseline(n2, g, { model_partition: 'dup' }), baseline(n2, g, { model_partition: 'dup', source_partition: 'other' })] });
    expect(twice.status).toBe(422);
    expect(twice.json.errors[0].path).toBe('body.baselines.1');
  });

  it('resolves partitions through the registry: aliases, and the reject policy', async () => {
    await env.request('POST', `/v1/projects/${P}/registry/partitions`, { token: org.ownerToken, body: { model_partition: 'target' } });
    await env.request('PUT', `/v1/projects/${P}/registry/aliases/nickname`, { token: org.ownerToken, body: { model_partition: 'target' } });
    const aliased = await post({ baselines: [baseline(n2, g, { model_partition: 'nickname' })] });
    expect(aliased.json.model_partitions).toEqual([{ requested: 'nickname', model_partition: 'target', resolved_by: 'alias' }]);
    expect(aliased.json.counts.imported).toBe(1);
    const setPolicy = async (policy: string) => {
      const registry = (await env.request('GET', `/v1/projects/${P}/registry`, { token: org.ownerToken })).json;
      const put = await env.request('PUT', `/v1/projects/${P}/registry`, { token: org.ownerToken, body: { ...registry, etag: undefined, unknown_partition_policy: policy } });
      expect(put.status, put.text).toBe(200);
    };
    await setPolicy('reject');
    const rejected = await post({ baselines: [baseline(n2, g, { model_partition: 'targett' })] });
    expect(rejected.status).toBe(422);
    expect(rejected.json.code).toBe('unknown_partition');
    await setPolicy('auto');
  });

  it('a dry run records and registers nothing, and counts the texts still to upload', async () => {
    const events = await count('acceptance_events');
    const audit = await count('audit_log');
    const ghost = await text('kb/notes/ghost.md', '# never uploaded\n');
    const reply = await post({ dry_run: true, baselines: [baseline(n3, g, { model_partition: 'dry' }), baseline(ghost, g, { model_partition: 'dry' })] });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json).toMatchObject({ dry_run: true, counts: { imported: 2 }, texts_missing: 1 });
    expect(await count('acceptance_events')).toBe(events);
    expect(await count('audit_log')).toBe(audit);
    const registry = await env.request('GET', `/v1/projects/${P}/registry`, { token: org.ownerToken });
    expect(registry.json.partitions.map((p: any) => p.model_partition)).not.toContain('dry');
  });

  it('is for org admins only', async () => {
    const member = await env.addMember(org, 'member');
    const reply = await post({ baselines: [baseline(n3, g, { model_partition: 'member' })] }, member.token);
    expect(reply.status).toBe(403);
  });
});
