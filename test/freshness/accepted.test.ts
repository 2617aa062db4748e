// POST …/freshness/accepted: every pair accepted now, checked against one
// hash per path; paths not given come back as absent_paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { accept, manifest, text, upload, type Text } from '../support/freshness.js';

let env: TestEnv;
let org: OrgFixture;
const P = 'accepted';
let a: Text; let b: Text; let g: Text; let h: Text; let a2: Text; let g2: Text;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  await env.createProject(org.ownerToken, { slug: P });
  [a, b, g, h, a2, g2] = await Promise.all([
    text('kb/notes/a.md', '# A\n'), text('kb/notes/b.md', '# B\n'), text('kb/gates/g.md', '# G\n'), text('kb/gates/h.md', '# H\n'),
    text('kb/notes/a.md', '# A, edited\n'), text('kb/gates/g.md', '# G, edited\n'),
  ]);
  await upload(env, org.ownerToken, P, [a, b, g, h]);
  await accept(env, org, P, 'm', [[a, g], [a, h], [b, g], [b, h]]);
  await accept(env, org, P, 'other', [[a, g]]);
});
afterAll(() => env.close());

const post = (body: unknown) => env.request('POST', `/v1/projects/${P}/freshness/accepted`, { token: org.ownerToken, body });

describe('accepted freshness', () => {
  it('with no files, names every accepted path under the partition and checks nothing', async () => {
    const reply = await post({ model_partition: 'm', files: [] });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json).toMatchObject({ absent_paths: [g.path, h.path, a.path, b.path].sort(), unchecked: 4, counts: { fresh: 0, stale: 0, missing: 0, total: 0 } });
  });

  it('classifies each accepted pair from one hash per path, with reasons, and reports the paths not given', async () => {
    const reply = await post({ model_partition: 'm', files: manifest([a2, g2, h]) });
    expect(reply.json.counts).toEqual({ fresh: 0, stale: 2, missing: 0, total: 2 });
    expect(reply.json.pairs.map((p: any) => [p.gate_path, p.reason, p.revision])).toEqual([[g.path, 'both_changed', 1], [h.path, 'note_changed', 1]]);
    expect(reply.json.absent_paths).toEqual([b.path]);
    expect(reply.json.unchecked).toBe(2);
    const all = await post({ model_partition: 'm', files: manifest([a, b, g2, h]) });
    expect(all.json.counts).toEqual({ fresh: 2, stale: 2, missing: 0, total: 4 });
    expect(all.json.reasons).toMatchObject({ gate_changed: 2 });
  });

  it('retired pairs are not accepted any more; duplicate paths are refused by name', async () => {
    await env.request('POST', `/v1/projects/${P}/retire`, { token: org.ownerToken, body: { paths: [b.path] } });
    const reply = await post({ model_partition: 'm', files: manifest([a, g, h]) });
    expect(reply.json).toMatchObject({ counts: { fresh: 2, total: 2 }, absent_paths: [] });
    const twice = await post({ model_partition: 'm', files: manifest([a, a2]) });
    expect(twice.status).toBe(422);
    expect(twice.json.errors[0].path).toBe('body.files.1.path');
  });
});
