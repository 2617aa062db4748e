// Races that only a real server can run concurrently (PGlite has one
// connection): *.pg.test.ts files run on PostgreSQL only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, type OrgFixture } from '../support/harness.js';

describe('concurrency on PostgreSQL', () => {
  let env: TestEnv;
  let org: OrgFixture;
  beforeAll(async () => {
    env = await TestEnv.start();
    org = await env.createOrg();
  });
  afterAll(() => env.close());

  it('two owners demoting each other at once: exactly one wins, the org keeps an owner', async () => {
    for (let round = 0; round < 5; round++) {
      const fresh = await env.createOrg();
      const second = await env.addMember(fresh, 'owner');
      const [a, b] = await Promise.all([
        env.request('PATCH', `/v1/org/members/${second.userId}`, { token: fresh.ownerToken, body: { role: 'admin' } }),
        env.request('PATCH', `/v1/org/members/${fresh.ownerId}`, { token: second.token, body: { role: 'admin' } }),
      ]);
      // The loser either got in first and found itself the last owner (409 last_owner), or
      // arrived after the winner committed and is no longer an owner at all (403).
      const [won, lost] = a.status === 200 ? [a, b] : [b, a];
      expect(won.status).toBe(200);
      expect([[409, 'last_owner'], [403, 'insufficient_scope'], [403, 'forbidden']]).toContainEqual([lost.status, lost.json.code]);
      const members = await env.request('GET', '/v1/org/members', { token: a.status === 200 ? fresh.ownerToken : second.token });
      expect(members.json.items.filter((m: any) => m.role === 'owner')).toHaveLength(1);
    }
  });

  it('concurrent retries with one Idempotency-Key create one project', async () => {
    const headers = { 'idempotency-key': crypto.randomUUID() };
    const replies = await Promise.all(Array.from({ length: 6 }, () =>
      env.request('POST', '/v1/projects', { token: org.ownerToken, headers, body: { slug: 'raced' } })));
    const created = replies.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.json.id)).size).toBe(1);
    for (const r of replies.filter((x) => x.status !== 201)) expect(r.json.code).toBe('idempotency_in_progress');
    const list = await env.request('GET', '/v1/projects', { token: org.ownerToken });
    expect(list.json.items.filter((p: any) => p.slug === 'raced')).toHaveLength(1);
  });

  it('concurrent creates of one slug: one 201, the rest 409, one row', async () => {
    const replies = await Promise.all(Array.from({ length: 6 }, () =>
      env.request('POST', '/v1/projects', { token: org.ownerToken, body: { slug: 'contended' } })));
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
  });
});
