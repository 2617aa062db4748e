import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, type MemberFixture, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
let alice: MemberFixture; // member, project owner
let bob: MemberFixture; // member, in the group
let carol: MemberFixture; // member, not in the group
let admin: MemberFixture;
let viewer: MemberFixture;
let groupId: string;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  [alice, bob, carol, admin, viewer] = [
    await env.addMember(org, 'member'), await env.addMember(org, 'member'), await env.addMember(org, 'member'),
    await env.addMember(org, 'admin'), await env.addMember(org, 'viewer'),
  ];
  const group = await env.request('POST', '/v1/org/groups', { token: org.ownerToken, body: { name: 'kb-team' } });
  groupId = group.json.id;
  await env.request('PUT', `/v1/org/groups/${groupId}/members/${bob.userId}`, { token: org.ownerToken });
});
afterAll(() => env.close());

const slugs = async (token: string) => (await env.request('GET', '/v1/projects?limit=200', { token })).json.items.map((p: any) => p.slug);

describe('projects', () => {
  it('creates, reads, updates and archives a project', async () => {
    const created = await env.createProject(alice.token, { slug: 'notes', name: 'Notes', description: 'the kb' });
    expect(created).toMatchObject({ slug: 'notes', name: 'Notes', owner_user_id: alice.userId, visibility: 'org', unknown_partition_policy: 'auto' });
    const got = await env.request('GET', '/v1/projects/notes', { token: viewer.token });
    expect(got.status).toBe(200);
    const patched = await env.request('PATCH', '/v1/projects/notes', { token: alice.token, body: { description: null, name: 'Notes 2' } });
    expect(patched.json).toMatchObject({ name: 'Notes 2', description: null });
    const dup = await env.request('POST', '/v1/projects', { token: bob.token, body: { slug: 'notes' } });
    expect(dup.status).toBe(409);

    expect((await env.request('DELETE', '/v1/projects/notes', { token: alice.token })).status).toBe(204);
    expect((await env.request('GET', '/v1/projects/notes', { token: alice.token })).status).toBe(404);
    expect(await slugs(alice.token)).not.toContain('notes');
    // The slug is free again once the project is archived.
    expect((await env.request('POST', '/v1/projects', { token: alice.token, body: { slug: 'notes' } })).status).toBe(201);
  });

  it('private projects: owner and org admins only; others get 404 as if it did not exist', async () => {
    await env.createProject(alice.token, { slug: 'secret', visibility: 'private' });
    expect(await slugs(alice.token)).toContain('secret');
    expect(await slugs(admin.token)).toContain('secret');
    expect(await slugs(org.ownerToken)).toContain('secret');
    for (const other of [bob, carol, viewer]) {
      expect(await slugs(other.token)).not.toContain('secret');
      const reply = await env.request('GET', '/v1/projects/secret', { token: other.token });
      expect(reply.status).toBe(404);
      const missing = await env.request('GET', '/v1/projects/does-not-exist', { token: other.token });
      expect(reply.json.detail.replace('secret', 'X')).toBe(missing.json.detail.replace('does-not-exist', 'X'));
    }
  });

  it('group projects: also members of the shared groups', async () => {
    await env.createProject(alice.token, { slug: 'team', visibility: 'group', shared_with_groups: [groupId] });
    expect(await slugs(bob.token)).toContain('team');
    expect(await slugs(carol.token)).not.toContain('team');
    expect((await env.request('GET', '/v1/projects/team', { token: carol.token })).status).toBe(404);
    await env.request('PUT', `/v1/org/groups/${groupId}/members/${carol.userId}`, { token: org.ownerToken });
    expect((await env.request('GET', '/v1/projects/team', { token: carol.token })).status).toBe(200);
    await env.request('DELETE', `/v1/org/groups/${groupId}/members/${carol.userId}`, { token: org.ownerToken });
    expect((await env.request('GET', '/v1/projects/team', { token: carol.token })).status).toBe(404);
  });

  it('refuses unknown groups with 422 naming the field', async () => {
    const reply = await env.request('POST', '/v1/projects', { token: alice.token, body: { slug: 'bad-group', visibility: 'group', shared_with_groups: [crypto.randomUUID()] } });
    expect(reply.status).toBe(422);
    expect(reply.json.errors[0].path).toBe('body.shared_with_groups');
    expect((await env.request('GET', '/v1/projects/bad-group', { token: alice.token })).status).toBe(404);
  });

  it('only the owner or an admin may change or delete a visible project', async () => {
    await env.createProject(alice.token, { slug: 'shared' });
    const byBob = await env.request('PATCH', '/v1/projects/shared', { token: bob.token, body: { name: 'mine now' } });
    expect(byBob.status).toBe(403);
    expect((await env.request('DELETE', '/v1/projects/shared', { token: bob.token })).status).toBe(403);
    const byViewer = await env.request('PATCH', '/v1/projects/shared', { token: viewer.token, body: { name: 'x' } });
    expect(byViewer.status).toBe(403);
    expect(byViewer.json.code).toBe('insufficient_scope');
    const byAdmin = await env.request('PATCH', '/v1/projects/shared', { token: admin.token, body: { owner_user_id: bob.userId } });
    expect(byAdmin.json.owner_user_id).toBe(bob.userId);
  });

  it('a token limited to one project sees only that project', async () => {
    await env.createProject(alice.token, { slug: 'one' });
    await env.createProject(alice.token, { slug: 'two' });
    const minted = await env.request('POST', '/v1/org/tokens', { token: alice.token, body: { name: 'ci', projects: ['one'], scopes: ['freshness:read'] } });
    expect(minted.status).toBe(201);
    expect(minted.json.projects).toEqual(['one']);
    const limited = minted.json.token;
    expect(await slugs(limited)).toEqual(['one']);
    expect((await env.request('GET', '/v1/projects/two', { token: limited })).status).toBe(404);
    const create = await env.request('POST', '/v1/projects', { token: limited, body: { slug: 'three' } });
    expect(create.status).toBe(403);
  });

  it('another org sees none of it', async () => {
    const other = await env.createOrg();
    await env.createProject(alice.token, { slug: 'mine' });
    expect((await env.request('GET', '/v1/projects/mine', { token: other.ownerToken })).status).toBe(404);
    expect(await slugs(other.ownerToken)).toEqual([]);
    // The same slug is free in another org.
    expect((await env.request('POST', '/v1/projects', { token: other.ownerToken, body: { slug: 'mine' } })).status).toBe(201);
    const mineA = await env.request('GET', '/v1/projects/mine', { token: alice.token });
    const mineB = await env.request('GET', '/v1/projects/mine', { token: other.ownerToken });
    expect(mineA.json.id).not.toBe(mineB.json.id);
  });

  it('Idempotency-Key: a retried create returns the first answer and creates once', async () => {
    const key = crypto.randomUUID();
    const headers = { 'idempotency-key': key };
    const first = await env.request('POST', '/v1/projects', { token: alice.token, headers, body: { slug: 'idem' } });
    const second = await env.request('POST', '/v1/projects', { token: alice.token, headers, body: { slug: 'idem' } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.json).toEqual(first.json);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const reused = await env.request('POST', '/v1/projects', { token: alice.token, headers, body: { slug: 'idem-other' } });
    expect(reused.status).toBe(422);
    expect(reused.json.code).toBe('idempotency_key_reused');
    expect((await env.request('GET', '/v1/projects/idem-other', { token: alice.token })).status).toBe(404);
    // A failed request does not burn its key.
    const failKey = { 'idempotency-key': crypto.randomUUID() };
    const failed = await env.request('POST', '/v1/projects', { token: alice.token, headers: failKey, body: { slug: 'idem' } });
    expect(failed.status).toBe(409);
    const retried = await env.request('POST', '/v1/projects', { token: alice.token, headers: failKey, body: { slug: 'idem-2' } });
    expect(retried.status).toBe(201);
  });

  it('audits project changes with before and after', async () => {
    await env.createProject(alice.token, { slug: 'audited' });
    await env.request('PATCH', '/v1/projects/audited', { token: alice.token, body: { visibility: 'private' } });
    const audit = await env.request('GET', '/v1/org/audit?target_type=project&action=project.update', { token: org.ownerToken });
    const entry = audit.json.items.find((e: any) => e.after?.slug === 'audited');
    expect(entry.before.visibility).toBe('org');
    expect(entry.after.visibility).toBe('private');
    expect(entry.actor_user_id).toBe(alice.userId);
    expect(entry.actor_token_id).toBe(alice.tokenId);
  });
});
