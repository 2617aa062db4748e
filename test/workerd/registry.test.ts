// Registry routes through the Worker entry inside workerd.
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createOrg, operatorToken, unique, type OrgFixture } from './client.js';

let org: OrgFixture;
let project: string;

beforeAll(async () => {
  org = await createOrg(await operatorToken());
  project = unique('reg');
  await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug: project } });
});

describe('registry in workerd', () => {
  it('sync with a dry run, then single edits, then resolution', async () => {
    const desired = {
      unknown_partition_policy: 'reject',
      partitions: [{ model_partition: 'opus/high', description: null, status: 'verified' }],
      aliases: [{ alias: 'opus', model_partition: 'opus/high' }],
      runner_models: [],
    };
    const dry = await call('PUT', `/v1/projects/${project}/registry?dry_run=true`, { token: org.ownerToken, body: desired });
    expect(dry.status, dry.text).toBe(200);
    expect(dry.json.plan.changes).toHaveLength(3);
    const applied = await call('PUT', `/v1/projects/${project}/registry`, { token: org.ownerToken, body: desired });
    expect(applied.json.applied).toBe(true);
    const rm = await call('PUT', `/v1/projects/${project}/registry/runner-models/${encodeURIComponent('opus/high')}/claude-code`, { token: org.ownerToken, body: { runner_model: 'claude-opus-4-1' } });
    expect(rm.status, rm.text).toBe(201);
    const resolved = await call('GET', `/v1/projects/${project}/registry/resolve?partition=opus&runner=claude-code`, { token: org.ownerToken });
    expect(resolved.json).toMatchObject({ model_partition: 'opus/high', resolved_by: 'alias', runner: { runner_model: 'claude-opus-4-1', source: 'registry' } });
    const rejected = await call('GET', `/v1/projects/${project}/registry/resolve?partition=opux`, { token: org.ownerToken });
    expect(rejected.status).toBe(422);
    expect(rejected.json.closest).toContain('opus');
  });
});
