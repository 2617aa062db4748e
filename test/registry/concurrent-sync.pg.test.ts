// Concurrent syncs (PostgreSQL): registry writes of a project serialise on
// one lock, so no sync sees half of another, and If-Match turns a stale
// read into a clean 409 instead of a lost update.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
});
afterAll(() => env.close());

const desired = (i: number) => ({
  unknown_partition_policy: (['reject', 'auto', 'warn'] as const)[i % 3],
  partitions: [{ model_partition: `p${i}`, description: `sync ${i}`, status: 'verified' }, { model_partition: 'shared', description: `from ${i}`, status: 'verified' }],
  aliases: [{ alias: `a${i}`, model_partition: `p${i}` }],
  runner_models: [{ model_partition: 'shared', runner: 'codex', runner_model: `model-${i}`, runner_effort: null }],
});

describe('concurrent registry syncs', () => {
  it('syncs based on the same read: exactly one applies, the others get 409', async () => {
    await env.createProject(org.ownerToken, { slug: 'cs1' });
    const { etag } = (await env.request('GET', '/v1/projects/cs1/registry', { token: org.ownerToken })).json;
    const replies = await Promise.all([0, 1, 2, 3].map((i) =>
      env.request('PUT', '/v1/projects/cs1/registry', { token: org.ownerToken, body: desired(i), headers: { 'if-match': etag } })));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
    const winner = replies.findIndex((r) => r.status === 200);
    const after = (await env.request('GET', '/v1/projects/cs1/registry', { token: org.ownerToken })).json;
    expect(after.partitions.map((p: any) => p.model_partition).sort()).toEqual([`p${winner}`, 'shared'].sort());
  });

  it('blind syncs serialise: every one applies whole, and the result is exactly one of them', async () => {
    await env.createProject(org.ownerToken, { slug: 'cs2' });
    const replies = await Promise.all([0, 1, 2, 3, 4].map((i) =>
      env.request('PUT', '/v1/projects/cs2/registry', { token: org.ownerToken, body: desired(i) })));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const after = (await env.request('GET', '/v1/projects/cs2/registry', { token: org.ownerToken })).json;
    const i = Number(after.aliases[0].alias.slice(1));
    const { etag: _etag, ...rest } = after;
    const expected = desired(i);
    expect(rest).toEqual({ ...expected, partitions: [...expected.partitions].sort((a, b) => a.model_partition.localeCompare(b.model_partition)) });
  });
});
