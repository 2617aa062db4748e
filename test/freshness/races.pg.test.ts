// Writers racing on one pair (PostgreSQL: real concurrent transactions).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { accept, manifest, select, text, upload, type Text } from '../support/freshness.js';

let env: TestEnv;
let org: OrgFixture;
const P = 'races';
const M = 'm';

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  await env.createProject(org.ownerToken, { slug: P });
});
afterAll(() => env.close());

describe('revision conflicts', () => {
  it('two acks of the same revision racing: exactly one wins, the other gets stale_baseline_revision', async () => {
    for (let round = 0; round < 5; round++) {
      const gate = await text(`kb/gates/race${round}.md`, 'gate');
      const v1 = await text(`kb/notes/race${round}.md`, 'v1');
      const [va, vb] = await Promise.all([text(v1.path, 'edit by alice'), text(v1.path, 'edit by bob')]);
      await upload(env, org.ownerToken, P, [gate, v1, va, vb]);
      await accept(env, org, P, M, [[v1, gate]]);
      const ack = (n: Text) => env.request('POST', `/v1/projects/${P}/acks`, {
        token: org.ownerToken,
        body: { model_partition: M, reason: 'race', pairs: [{ note_path: n.path, note_sha256: n.sha256, gate_path: gate.path, gate_sha256: gate.sha256, expected_revision: 1 }] },
      });
      const [a, b] = await Promise.all([ack(va), ack(vb)]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const loser = a.status === 409 ? a : b;
      expect(loser.json.code).toBe('stale_baseline_revision');
      const winner = a.status === 200 ? va : vb;
      const now = await select(env, org.ownerToken, P, { model_partition: M, notes: manifest([winner]), gates: manifest([gate]), include_fresh: true });
      expect(now.json.pairs[0]).toMatchObject({ status: 'fresh', revision: 2 });
    }
  });

  it('first acceptances racing on a never-reviewed pair: one wins', async () => {
    const gate = await text('kb/gates/first.md', 'gate');
    const note = await text('kb/notes/first.md', 'note');
    await upload(env, org.ownerToken, P, [gate, note]);
    // Both writers saw no acceptance (expected revision null).
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => accept(env, org, P, M, [[note, gate]], 'pass', null)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason.code).toBe('stale_baseline_revision');
    }
    const history = await env.request('GET', `/v1/projects/${P}/acceptance?note_path=${note.path}&gate_path=${gate.path}&model_partition=${M}`, { token: org.ownerToken });
    expect(history.json.items.map((e: any) => e.revision)).toEqual([1]);
    const integrity = await env.request('GET', `/v1/projects/${P}/integrity`, { token: org.ownerToken });
    expect(integrity.json.ok).toBe(true);
  });
});
