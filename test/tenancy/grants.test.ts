// Nobody obtains a token or a role with more rights than they hold
// (security review, issue 16, findings 1, 2 and 5): the rules in
// src/tenancy/auth/grants.ts directly, then through the API.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { ApiError } from '../../src/platform/errors.js';
import {
  assertMayGrantRole, assertMayMintFor, MAX_TOKEN_DAYS, mayManageTokens, mintCeiling, mintProjects,
} from '../../src/tenancy/auth/grants.js';
import type { Member } from '../../src/tenancy/auth/principal.js';
import { type Role, roleCeiling, type Scope } from '../../src/tenancy/auth/scopes.js';
import { TestEnv, type MemberFixture, type OrgFixture } from '../support/harness.js';

const caller = (role: Role, scopes: readonly Scope[] = roleCeiling[role], projectIds: string[] | null = null): Member => ({
  kind: 'member', orgId: 'o', userId: 'me', role, scopes: new Set(scopes), tokenId: 't', projectIds,
});
const refusal = (fn: () => void) => {
  try { fn(); } catch (err) { return err instanceof ApiError ? `${err.status} ${err.code}` : 'other'; }
  return 'allowed';
};

describe('the grant rules', () => {
  it('minting for someone else: only for a member the caller outranks, never for an owner but by that owner', () => {
    const human = (role: Role) => ({ userId: 'them', role, kind: 'human' as const });
    expect(refusal(() => assertMayMintFor(caller('admin'), human('owner')))).toBe('403 forbidden');
    expect(refusal(() => assertMayMintFor(caller('admin'), human('admin')))).toBe('403 forbidden');
    expect(refusal(() => assertMayMintFor(caller('admin'), human('member')))).toBe('allowed');
    expect(refusal(() => assertMayMintFor(caller('owner'), human('admin')))).toBe('allowed');
    expect(refusal(() => assertMayMintFor(caller('owner'), human('owner')))).toBe('403 forbidden');
    expect(refusal(() => assertMayMintFor(caller('owner'), { userId: 'me', role: 'owner', kind: 'human' }))).toBe('allowed');
    expect(refusal(() => assertMayMintFor(caller('member'), human('viewer')))).toBe('403 insufficient_scope');
    // A service may hold the caller's rank, never more, and never the owner role.
    expect(refusal(() => assertMayMintFor(caller('admin'), { userId: 's', role: 'admin', kind: 'service' }))).toBe('allowed');
    expect(refusal(() => assertMayMintFor(caller('admin'), { userId: 's', role: 'owner', kind: 'service' }))).toBe('403 forbidden');
  });

  it('a minted token holds what both the caller\'s token and the holder\'s role allow, and the caller\'s projects', () => {
    expect(mintCeiling(caller('admin', ['org:admin', 'freshness:read']), 'owner')).toEqual(['freshness:read', 'org:admin']);
    expect(mintCeiling(caller('owner'), 'viewer')).toEqual(['freshness:read', 'tokens:write']);
    expect(mintProjects(caller('admin', roleCeiling.admin, ['p1']), null)).toEqual(['p1']);
    expect(mintProjects(caller('admin'), null)).toBeNull();
    expect(mintProjects(caller('admin'), ['p2'])).toEqual(['p2']);
  });

  it('granting a role needs the rank, every scope of the role, and an unnarrowed token', () => {
    expect(refusal(() => assertMayGrantRole(caller('admin'), 'member', 'admin'))).toBe('allowed');
    expect(refusal(() => assertMayGrantRole(caller('admin'), 'member', 'owner'))).toBe('403 forbidden');
    expect(refusal(() => assertMayGrantRole(caller('admin'), 'owner', null))).toBe('403 forbidden');
    expect(refusal(() => assertMayGrantRole(caller('admin', ['org:admin']), null, 'admin'))).toBe('403 forbidden');
    expect(refusal(() => assertMayGrantRole(caller('admin', roleCeiling.admin, ['p1']), null, 'viewer'))).toBe('403 forbidden');
  });

  it('token management needs tokens:write, or org:admin', () => {
    expect(mayManageTokens(caller('member', ['freshness:read']))).toBe(false);
    expect(mayManageTokens(caller('viewer'))).toBe(true);
    expect(mayManageTokens(caller('admin', ['org:admin']))).toBe(true);
  });
});

let env: TestEnv;
let org: OrgFixture;
let admin: MemberFixture;
let project: string;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  admin = await env.addMember(org, 'admin');
  project = (await env.createProject(org.ownerToken)).slug;
});
afterAll(() => env.close());

const mint = (token: string, body: Record<string, unknown>) => env.request('POST', '/v1/org/tokens', { token, body: { name: 'minted', ...body } });

describe('minting through the API', () => {
  it('an admin cannot mint for an owner, so cannot take over the org', async () => {
    const forOwner = await mint(admin.token, { user_id: org.ownerId });
    expect(forOwner.status).toBe(403);
    const promoteSelf = await env.request('PATCH', `/v1/org/members/${admin.userId}`, { token: admin.token, body: { role: 'owner' } });
    expect(promoteSelf.status).toBe(403);
    const removeOwner = await env.request('DELETE', `/v1/org/members/${org.ownerId}`, { token: admin.token });
    expect(removeOwner.status).toBe(403);
  });

  it('an admin cannot mint for another admin; an owner can', async () => {
    const other = await env.addMember(org, 'admin');
    expect((await mint(admin.token, { user_id: other.userId })).status).toBe(403);
    const byOwner = await mint(org.ownerToken, { user_id: other.userId });
    expect(byOwner.status).toBe(201);
    expect(byOwner.json.scopes).toEqual(roleCeiling.admin);
  });

  it('a token narrowed to org:admin and one project passes both on, to members and services alike', async () => {
    const narrowed = await mint(admin.token, { scopes: ['org:admin', 'freshness:read'], projects: [project] });
    expect(narrowed.status).toBe(201);
    const member = await env.addMember(org, 'member');
    for (const body of [{ user_id: member.userId }, { service: env.unique('runner') }, {}]) {
      const minted = await mint(narrowed.json.token, body);
      if (minted.status !== 201) continue; // a refusal is fine too; what is granted is the point
      expect(minted.json.projects).toEqual([project]);
      expect(minted.json.scopes.every((s: string) => ['org:admin', 'freshness:read'].includes(s))).toBe(true);
      const elsewhere = await env.createProject(org.ownerToken);
      expect((await env.request('GET', `/v1/projects/${elsewhere.slug}`, { token: minted.json.token })).status).toBe(404);
    }
    // The service identity does not exist yet: creating it grants a member role the narrowed token does not hold.
    expect((await mint(narrowed.json.token, { service: env.unique('runner') })).status).toBe(403);
    // For an existing member it mints, narrowed.
    const forMember = await mint(narrowed.json.token, { user_id: member.userId });
    expect(forMember.status).toBe(201);
    expect(forMember.json).toMatchObject({ projects: [project], scopes: ['freshness:read'] });
  });

  it('refuses an admin minting for a service an owner made an owner', async () => {
    const service = env.unique('svc');
    const first = await mint(org.ownerToken, { service });
    const promoted = await env.request('PATCH', `/v1/org/members/${first.json.user_id}`, { token: org.ownerToken, body: { role: 'owner' } });
    expect(promoted.status).toBe(200);
    expect((await mint(admin.token, { service })).status).toBe(403);
  });

  it('caps a token\'s lifetime and says so', async () => {
    const tooLong = await mint(org.ownerToken, { expires_in_days: MAX_TOKEN_DAYS + 1 });
    expect(tooLong.status).toBe(422);
    expect(tooLong.json.errors[0].path).toBe('body.expires_in_days');
    const longest = await mint(org.ownerToken, { expires_in_days: MAX_TOKEN_DAYS });
    expect(longest.status).toBe(201);
    expect(longest.json.max_lifetime_days).toBe(MAX_TOKEN_DAYS);
    const days = (Date.parse(longest.json.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(MAX_TOKEN_DAYS - 1);
    expect(days).toBeLessThanOrEqual(MAX_TOKEN_DAYS);
  });
});

describe('token management needs a scope', () => {
  it('a read-only token may not list, mint or revoke tokens, even its own', async () => {
    const readOnly = await mint(org.ownerToken, { scopes: ['freshness:read'] });
    const list = await env.request('GET', '/v1/org/tokens', { token: readOnly.json.token });
    expect(list.status).toBe(403);
    expect(list.json.required_scope).toBe('tokens:write');
    expect((await mint(readOnly.json.token, { scopes: ['freshness:read'] })).status).toBe(403);
    expect((await env.request('DELETE', `/v1/org/tokens/${readOnly.json.id}`, { token: readOnly.json.token })).status).toBe(403);
    expect((await env.request('GET', '/v1/org', { token: readOnly.json.token })).status).toBe(200);
  });
});

describe('removing a member', () => {
  const revokedIds = async (userId: string) => rowsOf<{ id: string }>(await env.database.db.execute(sql`
    select id from api_tokens where user_id = ${userId} and revoked_at is not null order by id`)).map((r) => r.id);

  it('revokes their tokens, with an audit entry each, and re-adding brings none back', async () => {
    const subject = env.unique('carol');
    const added = await env.request('POST', '/v1/org/members', { token: org.ownerToken, body: { subject, role: 'member' } });
    const userId = added.json.user_id;
    const tokens = [await mint(org.ownerToken, { user_id: userId }), await mint(org.ownerToken, { user_id: userId })];
    expect((await env.request('DELETE', `/v1/org/members/${userId}`, { token: org.ownerToken })).status).toBe(204);
    expect(await revokedIds(userId)).toEqual(tokens.map((t) => t.json.id).sort());
    const audit = await env.request('GET', '/v1/org/audit?action=token.revoke', { token: org.ownerToken });
    const audited = audit.json.items.map((e: any) => e.target_id);
    for (const t of tokens) expect(audited).toContain(t.json.id);

    expect((await env.request('POST', '/v1/org/members', { token: org.ownerToken, body: { subject, role: 'member' } })).status).toBe(201);
    for (const t of tokens) expect((await env.request('GET', '/v1/org', { token: t.json.token })).status).toBe(401);
  });

  it('a token older than its holder\'s membership stays dead even if its revocation was undone', async () => {
    const service = env.unique('runner');
    const old = await mint(org.ownerToken, { service, scopes: ['jobs:run'] });
    expect((await env.request('DELETE', `/v1/org/members/${old.json.user_id}`, { token: org.ownerToken })).status).toBe(204);
    // Re-creating the service of the same name makes a new membership.
    const fresh = await mint(org.ownerToken, { service, scopes: ['jobs:run'] });
    expect(fresh.json.user_id).toBe(old.json.user_id);
    expect((await env.request('GET', '/v1/org', { token: fresh.json.token })).status).toBe(200);
    expect((await env.request('GET', '/v1/org', { token: old.json.token })).status).toBe(401);
    // As the owner role, outside RLS: as if a removal from before this release had missed it.
    await env.database.db.execute(sql`update api_tokens set revoked_at = null where id = ${old.json.id}`);
    const reply = await env.request('GET', '/v1/org', { token: old.json.token });
    expect(reply.status).toBe(401);
    expect(reply.json.detail).toMatch(/no longer a member/);
  });
});
