// Org and project routes through the Worker entry, inside workerd: every
// request opens a Neon Pool over the WebSocket proxy, runs its queries and
// transactions, and ends the Pool with waitUntil.
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createOrg, operatorToken, unique, type OrgFixture } from './client.js';

let operator: string;
let org: OrgFixture;
let other: OrgFixture;

beforeAll(async () => {
  operator = await operatorToken();
  org = await createOrg(operator);
  other = await createOrg(operator);
});

/** The `kid` in a JWT's protected header (no verification; the Worker does that). */
function kidOf(jwt: string): string {
  const header = jwt.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(header)).kid;
}

describe('orgs', () => {
  it('an operator creates an org; its owner token is signed with the published key', async () => {
    const slug = unique('org');
    const reply = await call('POST', '/v1/orgs', { token: operator, body: { slug, name: 'Acme', owner: { subject: `${slug}-owner` } } });
    expect(reply.status, reply.text).toBe(201);
    expect(reply.json.org).toMatchObject({ slug, name: 'Acme' });
    expect(reply.json.org.id).toEqual(expect.any(String));
    expect(reply.json.owner.user_id).toEqual(expect.any(String));
    const jwks = await call('GET', '/.well-known/jwks.json');
    expect(kidOf(reply.json.owner_token)).toBe(jwks.json.keys[0].kid);
  });

  it('GET /v1/org with the owner token', async () => {
    const me = await call('GET', '/v1/org', { token: org.ownerToken });
    expect(me.status, me.text).toBe(200);
    expect(me.json).toMatchObject({ id: org.id, slug: org.slug, you: { user_id: org.ownerId, role: 'owner' } });
    // The per-token budget comes from the Rate Limiting binding ([[ratelimits]] in wrangler.toml).
    expect(me.headers.get('ratelimit-limit')).toBe('600');
  });

  it('a taken slug is a 409 problem', async () => {
    const reply = await call('POST', '/v1/orgs', { token: operator, body: { slug: org.slug, name: 'x', owner: { subject: 'someone' } } });
    expect(reply.status).toBe(409);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.json.code).toBe('already_exists');
  });

  it('no token is a 401 with www-authenticate', async () => {
    const reply = await call('GET', '/v1/org');
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.json.code).toEqual(expect.any(String));
  });

  it('adds a member and a group', async () => {
    const member = await call('POST', '/v1/org/members', { token: org.ownerToken, body: { subject: unique('alice'), role: 'member' } });
    expect(member.status, member.text).toBe(201);
    expect(member.json).toMatchObject({ role: 'member' });
    const group = await call('POST', '/v1/org/groups', { token: org.ownerToken, body: { name: unique('reviewers') } });
    expect(group.status, group.text).toBe(201);
    expect(group.json.id).toEqual(expect.any(String));
  });

  it('mints a scoped token, and a revoked token stops working', async () => {
    const minted = await call('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'ci', scopes: ['freshness:read'] } });
    expect(minted.status, minted.text).toBe(201);
    const token: string = minted.json.token;
    expect(token).toEqual(expect.any(String));
    expect((await call('GET', '/v1/org', { token })).status).toBe(200);

    const revoked = await call('DELETE', `/v1/org/tokens/${minted.json.id}`, { token: org.ownerToken });
    expect(revoked.status, revoked.text).toBe(200);
    const after = await call('GET', '/v1/org', { token });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('nobody obtains more than they hold: an admin cannot mint for an owner; a narrowed token passes its narrowing on', async () => {
    const admin = await call('POST', '/v1/org/members', { token: org.ownerToken, body: { subject: unique('admin'), role: 'admin' } });
    const adminToken = (await call('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'a', user_id: admin.json.user_id } })).json.token;
    const forOwner = await call('POST', '/v1/org/tokens', { token: adminToken, body: { name: 'grab', user_id: org.ownerId } });
    expect(forOwner.status, forOwner.text).toBe(403);
    const project = (await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug: unique('p') } })).json.slug;
    const narrowed = await call('POST', '/v1/org/tokens', { token: adminToken, body: { name: 'n', scopes: ['org:admin', 'tokens:write'], projects: [project] } });
    const runner = await call('POST', '/v1/org/tokens', { token: narrowed.json.token, body: { name: 'r', user_id: admin.json.user_id } });
    expect(runner.status, runner.text).toBe(201);
    expect(runner.json).toMatchObject({ projects: [project], scopes: ['org:admin', 'tokens:write'] });
    const readOnly = await call('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'ro', scopes: ['freshness:read'] } });
    expect((await call('GET', '/v1/org/tokens', { token: readOnly.json.token })).status).toBe(403);
  });

  it('removing a member revokes their tokens; re-adding brings none back', async () => {
    const subject = unique('carol');
    const added = await call('POST', '/v1/org/members', { token: org.ownerToken, body: { subject, role: 'member' } });
    const token = (await call('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'c', user_id: added.json.user_id } })).json.token;
    expect((await call('DELETE', `/v1/org/members/${added.json.user_id}`, { token: org.ownerToken })).status).toBe(204);
    expect((await call('POST', '/v1/org/members', { token: org.ownerToken, body: { subject, role: 'member' } })).status).toBe(201);
    expect((await call('GET', '/v1/org', { token })).status).toBe(401);
  });

  it('the audit log records a change', async () => {
    const added = await call('POST', '/v1/org/members', { token: org.ownerToken, body: { subject: unique('bob'), role: 'viewer' } });
    expect(added.status, added.text).toBe(201);
    const audit = await call('GET', '/v1/org/audit', { token: org.ownerToken });
    expect(audit.status, audit.text).toBe(200);
    const entry = audit.json.items.find((e: any) => e.target_id === added.json.user_id);
    expect(entry).toMatchObject({ action: 'member.add' });
  });
});

describe('projects', () => {
  it('creates, lists and reads a project; another org sees a 404', async () => {
    const slug = unique('proj');
    const created = await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug } });
    expect(created.status, created.text).toBe(201);
    expect(created.json.slug).toBe(slug);

    const list = await call('GET', '/v1/projects', { token: org.ownerToken });
    expect(list.status).toBe(200);
    expect(list.json.items.map((p: any) => p.slug)).toContain(slug);

    const one = await call('GET', `/v1/projects/${slug}`, { token: org.ownerToken });
    expect(one.status, one.text).toBe(200);
    expect(one.json).toMatchObject({ slug, id: created.json.id });

    // Tenancy: the other org cannot see it, and is not told it exists.
    const cross = await call('GET', `/v1/projects/${slug}`, { token: other.ownerToken });
    expect(cross.status).toBe(404);
    expect(cross.headers.get('content-type')).toContain('application/problem+json');
    const otherList = await call('GET', '/v1/projects', { token: other.ownerToken });
    expect(otherList.json.items.map((p: any) => p.slug)).not.toContain(slug);
  });

  it('a duplicate project slug in the same org is a 409', async () => {
    const slug = unique('proj');
    expect((await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug } })).status).toBe(201);
    const dup = await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug } });
    expect(dup.status).toBe(409);
  });

  it('an Idempotency-Key replay needs the route\'s scope: a read-only token of the same user gets 403, not the stored answer', async () => {
    const slug = unique('proj');
    const headers = { 'idempotency-key': unique('key') };
    const first = await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug }, headers });
    expect(first.status, first.text).toBe(201);
    expect((await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug }, headers })).headers.get('idempotent-replayed')).toBe('true');
    const minted = await call('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'read-only', scopes: ['freshness:read'] } });
    expect(minted.status, minted.text).toBe(201);
    const replay = await call('POST', '/v1/projects', { token: minted.json.token, body: { slug }, headers });
    expect(replay.status).toBe(403);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
    expect(replay.text).not.toContain(first.json.id);
  });
});
