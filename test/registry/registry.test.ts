import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf, withTenant } from '../../src/platform/db.js';
import { resolvePartition } from '../../src/registry/resolve.js';
import { loadProject } from '../../src/tenancy/projects.js';
import { roleCeiling } from '../../src/tenancy/auth/scopes.js';
import { accept, text, upload } from '../support/freshness.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
let n = 0;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
});
afterAll(() => env.close());

async function project() {
  n += 1;
  const slug = `reg-${n}`;
  await env.createProject(org.ownerToken, { slug });
  return slug;
}
const call = (method: string, path: string, body?: unknown, token = org.ownerToken, headers: Record<string, string> = {}) =>
  env.request(method, path, { token, body, headers });
const reg = (p: string) => `/v1/projects/${p}/registry`;

describe('registry entries', () => {
  it('partitions, aliases and runner defaults: create, read, change, delete', async () => {
    const p = await project();
    expect((await call('POST', `${reg(p)}/partitions`, { model_partition: 'claude-opus/high', description: 'Opus, high effort' })).status).toBe(201);
    expect((await call('POST', `${reg(p)}/partitions`, { model_partition: 'claude-opus/high' })).status).toBe(409);
    const patched = await call('PATCH', `${reg(p)}/partitions/${encodeURIComponent('claude-opus/high')}`, { status: 'unverified' });
    expect(patched.json).toEqual({ model_partition: 'claude-opus/high', description: 'Opus, high effort', status: 'unverified' });
    expect((await call('PUT', `${reg(p)}/aliases/opus`, { model_partition: 'claude-opus/high' })).status).toBe(201);
    expect((await call('PUT', `${reg(p)}/aliases/opus`, { model_partition: 'claude-opus/high' })).status).toBe(200);
    const rm = await call('PUT', `${reg(p)}/runner-models/${encodeURIComponent('claude-opus/high')}/claude-code`, { runner_model: 'claude-opus-4-1', runner_effort: 'high' });
    expect(rm.status).toBe(201);
    const all = await call('GET', reg(p));
    expect(all.json).toMatchObject({
      unknown_partition_policy: 'auto',
      partitions: [{ model_partition: 'claude-opus/high', status: 'unverified' }],
      aliases: [{ alias: 'opus', model_partition: 'claude-opus/high' }],
      runner_models: [{ model_partition: 'claude-opus/high', runner: 'claude-code', runner_model: 'claude-opus-4-1', runner_effort: 'high' }],
    });
    expect(all.headers.get('etag')).toBe(all.json.etag);
    // A partition still named by an alias or a default cannot go.
    const blocked = await call('DELETE', `${reg(p)}/partitions/${encodeURIComponent('claude-opus/high')}`);
    expect(blocked.status).toBe(409);
    expect(blocked.json.detail).toMatch(/aliases opus.*runner defaults for claude-code/);
    expect((await call('DELETE', `${reg(p)}/runner-models/${encodeURIComponent('claude-opus/high')}/claude-code`)).status).toBe(204);
    expect((await call('DELETE', `${reg(p)}/aliases/opus`)).status).toBe(204);
    expect((await call('DELETE', `${reg(p)}/aliases/opus`)).status).toBe(404);
    expect((await call('DELETE', `${reg(p)}/partitions/${encodeURIComponent('claude-opus/high')}`)).status).toBe(204);
    expect((await call('GET', reg(p))).json).toMatchObject({ partitions: [], aliases: [], runner_models: [] });
  });

  it('an alias may not shadow a partition nor chain to another alias; names follow the documented rules', async () => {
    const p = await project();
    await call('POST', `${reg(p)}/partitions`, { model_partition: 'base' });
    await call('POST', `${reg(p)}/partitions`, { model_partition: 'other' });
    await call('PUT', `${reg(p)}/aliases/short`, { model_partition: 'base' });
    const shadow = await call('PUT', `${reg(p)}/aliases/other`, { model_partition: 'base' });
    expect(shadow.status).toBe(422);
    expect(shadow.json.errors[0].path).toBe('path.alias');
    const chain = await call('PUT', `${reg(p)}/aliases/shorter`, { model_partition: 'short' });
    expect(chain.status).toBe(422);
    expect(chain.json.detail).toMatch(/may not chain/);
    const unknown = await call('PUT', `${reg(p)}/aliases/x`, { model_partition: 'nope' });
    expect(unknown.status).toBe(422);
    const taken = await call('POST', `${reg(p)}/partitions`, { model_partition: 'short' });
    expect(taken.status).toBe(409);
    for (const bad of [' space', 'x'.repeat(129), 'emoji-😀', '-lead']) {
      expect((await call('POST', `${reg(p)}/partitions`, { model_partition: bad })).status, bad).toBe(422);
    }
    expect((await call('PUT', `${reg(p)}/runner-models/base/Claude`, { runner_model: 'x' })).status).toBe(422);
    expect((await call('PUT', `${reg(p)}/runner-models/base/claude`, { runner_model: 'has space' })).status).toBe(422);
    expect((await call('PUT', `${reg(p)}/runner-models/missing/claude`, { runner_model: 'x' })).status).toBe(404);
  });

  it('every change is audited with before and after', async () => {
    const p = await project();
    await call('POST', `${reg(p)}/partitions`, { model_partition: 'audited', description: 'one' });
    await call('PATCH', `${reg(p)}/partitions/audited`, { description: 'two' });
    const audit = await call('GET', '/v1/org/audit?action=registry.change_partition');
    const entry = audit.json.items.find((e: any) => e.target_id === 'audited');
    expect(entry.before.description).toBe('one');
    expect(entry.after.description).toBe('two');
  });

  it('reads need only visibility; writes need registry:admin', async () => {
    const p = await project();
    const viewer = await env.addMember(org, 'viewer');
    const member = await env.addMember(org, 'member');
    expect((await call('GET', reg(p), undefined, viewer.token)).status).toBe(200);
    expect((await call('GET', `${reg(p)}/resolve?partition=x`, undefined, viewer.token)).status).toBe(200);
    expect((await call('POST', `${reg(p)}/partitions`, { model_partition: 'x' }, member.token)).status).toBe(403);
  });
});

describe('resolution', () => {
  it('alias → partition, known → itself, and runner models: explicit, else registry default, else null', async () => {
    const p = await project();
    await call('POST', `${reg(p)}/partitions`, { model_partition: 'gpt-5/medium' });
    await call('PUT', `${reg(p)}/aliases/gpt`, { model_partition: 'gpt-5/medium' });
    await call('PUT', `${reg(p)}/runner-models/${encodeURIComponent('gpt-5/medium')}/codex`, { runner_model: 'gpt-5-codex', runner_effort: 'medium' });
    const viaAlias = await call('GET', `${reg(p)}/resolve?partition=gpt&runner=codex`);
    expect(viaAlias.json).toMatchObject({ requested: 'gpt', model_partition: 'gpt-5/medium', resolved_by: 'alias', status: 'verified', runner: { runner_model: 'gpt-5-codex', runner_effort: 'medium', source: 'registry' } });
    const explicit = await call('GET', `${reg(p)}/resolve?partition=${encodeURIComponent('gpt-5/medium')}&runner=codex&runner_model=gpt-5.1`);
    expect(explicit.json).toMatchObject({ resolved_by: 'partition', runner: { runner_model: 'gpt-5.1', source: 'explicit' } });
    const none = await call('GET', `${reg(p)}/resolve?partition=gpt&runner=claude-code`);
    expect(none.json.runner).toMatchObject({ runner_model: null, source: 'none' });
  });

  it('unknown partitions follow the project policy: reject names the closest, warn accepts, auto registers on a write only', async () => {
    const p = await project();
    await call('POST', `${reg(p)}/partitions`, { model_partition: 'claude-sonnet' });
    const preview = await call('GET', `${reg(p)}/resolve?partition=claude-sonet`);
    expect(preview.json).toMatchObject({ resolved_by: 'auto', created: false, policy: 'auto' });
    expect(preview.json.warnings[0]).toMatch(/would register/);
    expect((await call('GET', reg(p))).json.partitions).toHaveLength(1);

    const registry = (await call('GET', reg(p))).json;
    await call('PUT', reg(p), { ...registry, etag: undefined, unknown_partition_policy: 'reject' });
    const rejected = await call('GET', `${reg(p)}/resolve?partition=claude-sonet`);
    expect(rejected.status).toBe(422);
    expect(rejected.json).toMatchObject({ code: 'unknown_partition', closest: ['claude-sonnet'] });
    const select = await env.request('POST', `/v1/projects/${p}/freshness`, { token: org.ownerToken, body: { model_partition: 'claude-sonet', notes: [], gates: [] } });
    expect(select.status).toBe(422);

    await call('PUT', reg(p), { ...registry, etag: undefined, unknown_partition_policy: 'warn' });
    const warned = await call('GET', `${reg(p)}/resolve?partition=adhoc`);
    expect(warned.json).toMatchObject({ resolved_by: 'unregistered', status: 'unregistered' });
    expect(warned.json.warnings[0]).toMatch(/policy warn/);
  });

  it('under auto, a write registers the partition as unverified and audits it', async () => {
    const p = await project();
    const [row] = rowsOf<{ id: string; org_id: string }>(await env.database.db.execute(sql`select id, org_id from projects where slug = ${p} and deleted_at is null and org_id = ${org.id}`));
    const ctx = { db: env.database.db, member: { kind: 'member' as const, orgId: org.id, userId: org.ownerId, role: 'owner' as const, scopes: new Set(roleCeiling.owner), tokenId: null, projectIds: null }, now: new Date(), requestId: null };
    const resolution = await withTenant(env.database.db, { orgId: org.id }, async (tx) =>
      resolvePartition(tx, ctx, await loadProject(tx, ctx.member, p), 'fresh-name', 'write'));
    expect(resolution).toMatchObject({ resolved_by: 'auto', created: true, status: 'unverified' });
    expect((await call('GET', reg(p))).json.partitions).toEqual([{ model_partition: 'fresh-name', description: 'registered on first use', status: 'unverified' }]);
    const audit = await call('GET', '/v1/org/audit?action=registry.partition.auto');
    expect(audit.json.items.some((e: any) => e.target_id === 'fresh-name' && e.project_id === row.id)).toBe(true);
  });

  it('a refused write registers nothing: an ack under a new name that fails leaves the registry as it was', async () => {
    const p = await project();
    const reply = await env.request('POST', `/v1/projects/${p}/acks`, {
      token: org.ownerToken,
      body: { model_partition: 'brand-new', reason: 'x', pairs: [{ note_path: 'a.md', note_sha256: 'a'.repeat(64), gate_path: 'g.md', gate_sha256: 'b'.repeat(64), expected_revision: 1 }] },
    });
    expect(reply.status).toBe(422);
    expect((await call('GET', reg(p))).json.partitions).toEqual([]);
  });
});

describe('immutability', () => {
  it('an alias used by an acceptance cannot be repointed or deleted; a used partition cannot be deleted', async () => {
    const p = await project();
    await call('POST', `${reg(p)}/partitions`, { model_partition: 'stable' });
    await call('POST', `${reg(p)}/partitions`, { model_partition: 'newer' });
    await call('PUT', `${reg(p)}/aliases/current`, { model_partition: 'stable' });
    const note = await text('kb/notes/a.md', 'a');
    const note2 = await text('kb/notes/a.md', 'a2');
    const gate = await text('kb/gates/g.md', 'g');
    await upload(env, org.ownerToken, p, [note, note2, gate]);
    await accept(env, org, p, 'stable', [[note, gate]]);
    // An ack through the alias records it as the requested partition.
    const ack = await env.request('POST', `/v1/projects/${p}/acks`, {
      token: org.ownerToken,
      body: { model_partition: 'current', reason: 'r', pairs: [{ note_path: note2.path, note_sha256: note2.sha256, gate_path: gate.path, gate_sha256: gate.sha256, expected_revision: 1 }] },
    });
    expect(ack.json.model_partition).toBe('stable');
    const repoint = await call('PUT', `${reg(p)}/aliases/current`, { model_partition: 'newer' });
    expect(repoint.status).toBe(409);
    expect(repoint.json.detail).toMatch(/immutable: used by 1 acceptance event/);
    expect((await call('DELETE', `${reg(p)}/aliases/current`)).status).toBe(409);
    // Unused ones stay editable.
    await call('PUT', `${reg(p)}/aliases/spare`, { model_partition: 'stable' });
    expect((await call('PUT', `${reg(p)}/aliases/spare`, { model_partition: 'newer' })).status).toBe(200);
    const partitionDelete = await call('DELETE', `${reg(p)}/partitions/stable`);
    expect(partitionDelete.status).toBe(409);
  });

  it('changing a runner default never changes an existing job', async () => {
    const p = await project();
    await call('POST', `${reg(p)}/partitions`, { model_partition: 'm' });
    await call('PUT', `${reg(p)}/runner-models/m/codex`, { runner_model: 'old-model' });
    const [row] = rowsOf<{ id: string }>(await env.database.db.execute(sql`select id from projects where slug = ${p} and org_id = ${org.id}`));
    // A job as execution stores it: the runner model resolved at creation.
    const [job] = rowsOf<{ id: string }>(await env.database.db.execute(sql`
      insert into review_jobs (org_id, project_id, model_partition, requested_partition, runner, runner_model)
      values (${org.id}, ${row.id}, 'm', 'm', 'codex', 'old-model') returning id`));
    await call('PUT', `${reg(p)}/runner-models/m/codex`, { runner_model: 'new-model' });
    const [after] = rowsOf<{ runner_model: string }>(await env.database.db.execute(sql`select runner_model from review_jobs where id = ${job.id}`));
    expect(after.runner_model).toBe('old-model');
    expect((await call('GET', `${reg(p)}/resolve?partition=m&runner=codex`)).json.runner.runner_model).toBe('new-model');
    // And the partition a job used cannot be deleted.
    await call('DELETE', `${reg(p)}/runner-models/m/codex`);
    const del = await call('DELETE', `${reg(p)}/partitions/m`);
    expect(del.status).toBe(409);
    expect(del.json.detail).toMatch(/used by 1 job/);
  });
});
