import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
});
afterAll(() => env.close());

describe('orgs', () => {
  it('an operator creates an org with an owner whose token works', async () => {
    const me = await env.request('GET', '/v1/org', { token: org.ownerToken });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ id: org.id, slug: org.slug, you: { user_id: org.ownerId, role: 'owner' } });
    expect(me.json.you.scopes).toContain('org:admin');
  });

  it('refuses a taken slug with 409 and writes nothing', async () => {
    const reply = await env.request('POST', '/v1/orgs', { token: await env.operatorToken(), body: { slug: org.slug, name: 'x', owner: { subject: 'someone' } } });
    expect(reply.status).toBe(409);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.json.code).toBe('already_exists');
  });

  it('an operator needs to name an owner, and may do nothing else', async () => {
    const op = await env.operatorToken();
    const noOwner = await env.request('POST', '/v1/orgs', { token: op, body: { slug: env.unique('o'), name: 'x' } });
    expect(noOwner.status).toBe(422);
    expect(noOwner.json.errors[0].path).toBe('body.owner');
    const other = await env.request('GET', '/v1/org', { token: op });
    expect(other.status).toBe(403);
    const projects = await env.request('GET', '/v1/projects', { token: op });
    expect(projects.status).toBe(403);
  });

  it('a member token cannot create another org', async () => {
    const reply = await env.request('POST', '/v1/orgs', { token: org.ownerToken, body: { slug: env.unique('o'), name: 'x' } });
    expect(reply.status).toBe(403);
  });
});

describe('members', () => {
  it('adds, lists, changes and removes members, auditing each change', async () => {
    const added = await env.request('POST', '/v1/org/members', { token: org.ownerToken, body: { subject: 'alice', email: 'alice@example.org', role: 'member' } });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ subject: 'alice', role: 'member', kind: 'human' });
    const userId = added.json.user_id;

    const again = await env.request('POST', '/v1/org/members', { token: org.ownerToken, body: { subject: 'alice', role: 'viewer' } });
    expect(again.status).toBe(409);

    const list = await env.request('GET', '/v1/org/members', { token: org.ownerToken });
    expect(list.json.items.map((m: any) => m.user_id)).toEqual(expect.arrayContaining([org.ownerId, userId]));

    const patched = await env.request('PATCH', `/v1/org/members/${userId}`, { token: org.ownerToken, body: { role: 'admin' } });
    expect(patched.status).toBe(200);
    expect(patched.json.role).toBe('admin');

    const removed = await env.request('DELETE', `/v1/org/members/${userId}`, { token: org.ownerToken });
    expect(removed.status).toBe(204);
    const gone = await env.request('PATCH', `/v1/org/members/${userId}`, { token: org.ownerToken, body: { role: 'member' } });
    expect(gone.status).toBe(404);

    const audit = await env.request('GET', '/v1/org/audit?target_type=user', { token: org.ownerToken });
    const actions = audit.json.items.filter((e: any) => e.target_id === userId).map((e: any) => e.action);
    expect(actions).toEqual(['member.remove', 'member.update', 'member.add']);
    const update = audit.json.items.find((e: any) => e.action === 'member.update' && e.target_id === userId);
    expect(update.before.role).toBe('member');
    expect(update.after.role).toBe('admin');
  });

  it('keeps at least one owner', async () => {
    const demote = await env.request('PATCH', `/v1/org/members/${org.ownerId}`, { token: org.ownerToken, body: { role: 'admin' } });
    expect(demote.status).toBe(409);
    expect(demote.json.code).toBe('last_owner');
    const remove = await env.request('DELETE', `/v1/org/members/${org.ownerId}`, { token: org.ownerToken });
    expect(remove.status).toBe(409);
  });

  it('an admin cannot grant or touch the owner role', async () => {
    const admin = await env.addMember(org, 'admin');
    const grant = await env.request('POST', '/v1/org/members', { token: admin.token, body: { subject: env.unique('x'), role: 'owner' } });
    expect(grant.status).toBe(403);
    const demoteOwner = await env.request('PATCH', `/v1/org/members/${org.ownerId}`, { token: admin.token, body: { role: 'member' } });
    expect(demoteOwner.status).toBe(403);
  });

  it('a removed member\'s token stops working on the next request', async () => {
    const member = await env.addMember(org, 'member');
    expect((await env.request('GET', '/v1/org', { token: member.token })).status).toBe(200);
    await env.request('DELETE', `/v1/org/members/${member.userId}`, { token: org.ownerToken });
    const after = await env.request('GET', '/v1/org', { token: member.token });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('a demotion narrows the token\'s scopes at once', async () => {
    const member = await env.addMember(org, 'admin');
    expect((await env.request('GET', '/v1/org/audit', { token: member.token })).status).toBe(200);
    await env.request('PATCH', `/v1/org/members/${member.userId}`, { token: org.ownerToken, body: { role: 'viewer' } });
    const audit = await env.request('GET', '/v1/org/audit', { token: member.token });
    expect(audit.status).toBe(403);
    expect(audit.json.code).toBe('insufficient_scope');
  });
});

describe('groups', () => {
  it('creates groups and manages their members idempotently', async () => {
    const member = await env.addMember(org, 'member');
    const created = await env.request('POST', '/v1/org/groups', { token: org.ownerToken, body: { name: 'reviewers' } });
    expect(created.status).toBe(201);
    const groupId = created.json.id;
    const dup = await env.request('POST', '/v1/org/groups', { token: org.ownerToken, body: { name: 'reviewers' } });
    expect(dup.status).toBe(409);

    const put1 = await env.request('PUT', `/v1/org/groups/${groupId}/members/${member.userId}`, { token: org.ownerToken });
    expect(put1.json).toMatchObject({ group_id: groupId, user_id: member.userId, added: true });
    const put2 = await env.request('PUT', `/v1/org/groups/${groupId}/members/${member.userId}`, { token: org.ownerToken });
    expect(put2.json.added).toBe(false);

    const list = await env.request('GET', '/v1/org/groups', { token: member.token });
    expect(list.json.items.find((g: any) => g.id === groupId).members).toEqual([member.userId]);

    expect((await env.request('DELETE', `/v1/org/groups/${groupId}/members/${member.userId}`, { token: org.ownerToken })).status).toBe(204);
    expect((await env.request('DELETE', `/v1/org/groups/${groupId}/members/${member.userId}`, { token: org.ownerToken })).status).toBe(404);
  });

  it('refuses a non-member in a group', async () => {
    const created = await env.request('POST', '/v1/org/groups', { token: org.ownerToken, body: { name: env.unique('g') } });
    const stranger = crypto.randomUUID();
    const put = await env.request('PUT', `/v1/org/groups/${created.json.id}/members/${stranger}`, { token: org.ownerToken });
    expect(put.status).toBe(404);
  });

  it('a member cannot create groups', async () => {
    const member = await env.addMember(org, 'member');
    const reply = await env.request('POST', '/v1/org/groups', { token: member.token, body: { name: env.unique('g') } });
    expect(reply.status).toBe(403);
    expect(reply.json.code).toBe('insufficient_scope');
  });
});

describe('pagination', () => {
  it('walks every member page by page with an opaque cursor', async () => {
    const fresh = await env.createOrg();
    for (let i = 0; i < 5; i++) {
      await env.request('POST', '/v1/org/members', { token: fresh.ownerToken, body: { subject: `p${i}`, role: 'viewer' } });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const reply: any = await env.request('GET', `/v1/org/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: fresh.ownerToken });
      expect(reply.status).toBe(200);
      expect(reply.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...reply.json.items.map((m: any) => m.user_id));
      cursor = reply.json.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    const bad = await env.request('GET', '/v1/org/members?cursor=nonsense', { token: fresh.ownerToken });
    expect(bad.status).toBe(422);
  });
});
