// Minted tokens: issue, list, revoke. The JWT is returned once and never
// stored; its `jti` is the api_tokens row, which revocation and expiry check.
import { and, desc, eq, inArray, isNull, lt, type SQL } from 'drizzle-orm';
import { apiTokens, orgMemberships, projects, users } from '../../drizzle/schema.js';
import type { Tx } from '../platform/db.js';
import { ApiError, notFound } from '../platform/errors.js';
import { CursorUuid, decodeCursor, iso, page } from '../platform/schemas.js';
import { recordAudit } from './audit.js';
import type { Member } from './auth/principal.js';
import {
  assertMayGrantRole, assertMayMintFor, assertOrgWide, type GrantTarget, MAX_TOKEN_DAYS, mintCeiling, mintProjects, requireTokenManagement,
} from './auth/grants.js';
import type { Scope } from './auth/scopes.js';
import { type AuthConfig, mintToken } from './auth/tokens.js';
import { inTenant, type TenantContext } from './context.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface IssueTokenInput {
  orgId: string;
  userId: string;
  name: string;
  scopes: readonly Scope[];
  projectIds: string[] | null;
  expiresAt: Date;
  createdBy: string | null;
  now: Date;
}

/** Insert the token row and sign the JWT that names it. Call inside a tenant transaction. */
export async function issueToken(tx: Tx, auth: AuthConfig, input: IssueTokenInput) {
  const id = crypto.randomUUID();
  const [row] = await tx.insert(apiTokens).values({
    id,
    orgId: input.orgId,
    userId: input.userId,
    name: input.name,
    scopes: [...input.scopes],
    projectIds: input.projectIds,
    createdBy: input.createdBy,
    expiresAt: input.expiresAt.toISOString(),
  }).returning();
  const secret = await mintToken(auth, {
    subject: input.userId,
    org: input.orgId,
    jti: id,
    scope: [...input.scopes],
    issuedAt: input.now,
    expiresAt: input.expiresAt,
  });
  return { row, secret };
}

export interface CreateTokenRequest {
  name: string;
  scopes?: Scope[];
  projects?: string[];
  expires_in_days: number;
  user_id?: string;
  service?: string;
}

function presentToken(row: typeof apiTokens.$inferSelect, slugs: Map<string, string>) {
  return {
    id: row.id,
    name: row.name,
    user_id: row.userId,
    scopes: row.scopes,
    projects: row.projectIds ? row.projectIds.map((id) => slugs.get(id) ?? id) : null,
    created_by: row.createdBy,
    created_at: iso(row.createdAt),
    expires_at: iso(row.expiresAt),
    revoked_at: iso(row.revokedAt),
    last_used_at: iso(row.lastUsedAt),
  };
}

async function projectSlugs(tx: Tx, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.select({ id: projects.id, slug: projects.slug }).from(projects).where(inArray(projects.id, ids));
  return new Map(rows.map((r) => [r.id, r.slug]));
}

const isAdmin = (m: Member) => m.scopes.has('org:admin');

/** The identity a new token is for: the caller, another member, or a named service identity. */
async function tokenSubject(tx: Tx, ctx: TenantContext, auth: AuthConfig, req: CreateTokenRequest): Promise<GrantTarget> {
  const { member } = ctx;
  if (req.user_id && req.service) throw new ApiError('validation_failed', 'Give either user_id or service, not both', { errors: [{ path: 'body.service', message: 'exclusive with user_id' }] });
  if (!req.user_id && !req.service) return { userId: member.userId, role: member.role, kind: 'human' };
  if (req.user_id) {
    if (req.user_id === member.userId) return { userId: member.userId, role: member.role, kind: 'human' };
    // Checked before the lookup too, so a caller without org:admin learns nothing about who is a member.
    if (!isAdmin(member)) throw new ApiError('insufficient_scope', 'Minting a token for someone else needs the "org:admin" scope', { required_scope: 'org:admin' });
    const [row] = await tx.select({ role: orgMemberships.role, kind: users.kind }).from(orgMemberships)
      .innerJoin(users, eq(users.id, orgMemberships.userId)).where(eq(orgMemberships.userId, req.user_id));
    if (!row) throw notFound('Member');
    return { userId: req.user_id, role: row.role, kind: row.kind };
  }
  if (!isAdmin(member)) throw new ApiError('insufficient_scope', 'Minting a token for a service needs the "org:admin" scope', { required_scope: 'org:admin' });
  // A service identity (runner, agent) is created on first use as a plain member.
  const subject = `service:${req.service}`;
  const [existing] = await tx.select({ id: users.id, role: orgMemberships.role }).from(users)
    .leftJoin(orgMemberships, eq(orgMemberships.userId, users.id))
    .where(and(eq(users.issuer, auth.issuer), eq(users.subject, subject)));
  if (existing?.role) return { userId: existing.id, role: existing.role, kind: 'service' };
  // Creating the identity grants the member role, and org-wide reach with it.
  assertOrgWide(member, 'create a service identity');
  assertMayGrantRole(member, null, 'member');
  const userId = existing?.id ?? (await tx.insert(users).values({
    orgId: member.orgId, issuer: auth.issuer, subject, kind: 'service', displayName: req.service,
  }).returning({ id: users.id }))[0].id;
  await tx.insert(orgMemberships).values({ orgId: member.orgId, userId, role: 'member' });
  await recordAudit(tx, ctx, { action: 'member.add', targetType: 'user', targetId: userId, after: { subject, kind: 'service', role: 'member' } });
  return { userId, role: 'member', kind: 'service' };
}

/** Project slugs to ids; a caller narrowed to projects may name only its own. */
async function requestedProjects(tx: Tx, ctx: TenantContext, slugs: string[] | undefined): Promise<string[] | null> {
  if (!slugs) return null;
  const rows = await tx.select({ id: projects.id, slug: projects.slug }).from(projects)
    .where(and(inArray(projects.slug, slugs), isNull(projects.deletedAt)));
  const found = new Map(rows.map((r) => [r.slug, r.id]));
  const narrowed = ctx.member.projectIds;
  const missing = slugs.filter((s) => !found.has(s) || (narrowed && !narrowed.includes(found.get(s)!)));
  if (missing.length > 0) {
    throw new ApiError('validation_failed', `Unknown projects: ${missing.join(', ')}`, { errors: missing.map((s) => ({ path: 'body.projects', message: `no project "${s}"` })) });
  }
  return slugs.map((s) => found.get(s)!);
}

/**
 * Mint a token. Whoever it is for, it holds no more than the caller's own
 * token (scopes and projects) and the holder's role allow (auth/grants.ts).
 */
export async function createToken(ctx: TenantContext, auth: AuthConfig, req: CreateTokenRequest) {
  requireTokenManagement(ctx.member);
  if (req.expires_in_days > MAX_TOKEN_DAYS) {
    throw new ApiError('validation_failed', `A token lives at most ${MAX_TOKEN_DAYS} days`, { errors: [{ path: 'body.expires_in_days', message: `at most ${MAX_TOKEN_DAYS}` }] });
  }
  return inTenant(ctx, async (tx) => {
    const target = await tokenSubject(tx, ctx, auth, req);
    assertMayMintFor(ctx.member, target);
    const ceiling = mintCeiling(ctx.member, target.role);
    const scopes = req.scopes ?? ceiling;
    const beyond = scopes.filter((s) => !ceiling.includes(s));
    if (beyond.length > 0) {
      throw new ApiError('validation_failed', `Scopes beyond what your token and the holder's role allow: ${beyond.join(', ')}`, {
        errors: beyond.map((s) => ({ path: 'body.scopes', message: `"${s}" exceeds the ceiling` })),
      });
    }
    if (scopes.length === 0) {
      throw new ApiError('forbidden', 'Your token holds none of the scopes the holder\'s role allows, so it can mint nothing for them');
    }
    const projectIds = mintProjects(ctx.member, await requestedProjects(tx, ctx, req.projects));
    const expiresAt = new Date(ctx.now.getTime() + req.expires_in_days * DAY_MS);
    const { row, secret } = await issueToken(tx, auth, {
      orgId: ctx.member.orgId, userId: target.userId, name: req.name, scopes, projectIds, expiresAt, createdBy: ctx.member.userId, now: ctx.now,
    });
    const presented = presentToken(row, await projectSlugs(tx, projectIds ?? []));
    await recordAudit(tx, ctx, { action: 'token.create', targetType: 'token', targetId: row.id, after: presented });
    return { ...presented, max_lifetime_days: MAX_TOKEN_DAYS, token: secret };
  });
}

export interface ListTokensQuery {
  limit: number;
  cursor?: string;
  user_id?: string;
  include_revoked?: boolean;
}

export async function listTokens(ctx: TenantContext, q: ListTokensQuery) {
  requireTokenManagement(ctx.member);
  const before = decodeCursor(q.cursor, CursorUuid);
  const filters: (SQL | undefined)[] = [
    // Admins see every token; everyone else sees only their own.
    isAdmin(ctx.member) ? (q.user_id ? eq(apiTokens.userId, q.user_id) : undefined) : eq(apiTokens.userId, ctx.member.userId),
    q.include_revoked ? undefined : isNull(apiTokens.revokedAt),
    before ? lt(apiTokens.id, before) : undefined,
  ];
  return inTenant(ctx, async (tx) => {
    const rows = await tx.select().from(apiTokens).where(and(...filters)).orderBy(desc(apiTokens.id)).limit(q.limit + 1);
    const slugs = await projectSlugs(tx, [...new Set(rows.flatMap((r) => r.projectIds ?? []))]);
    return page(rows.map((r) => presentToken(r, slugs)), q.limit, (r) => r.id);
  });
}

export async function revokeToken(ctx: TenantContext, tokenId: string) {
  requireTokenManagement(ctx.member);
  return inTenant(ctx, async (tx) => {
    const [row] = await tx.select().from(apiTokens).where(eq(apiTokens.id, tokenId));
    if (!row || (!isAdmin(ctx.member) && row.userId !== ctx.member.userId)) throw notFound('Token');
    if (row.revokedAt) return presentToken(row, await projectSlugs(tx, row.projectIds ?? []));
    const [updated] = await tx.update(apiTokens)
      .set({ revokedAt: ctx.now.toISOString(), revokedBy: ctx.member.userId })
      .where(eq(apiTokens.id, tokenId)).returning();
    const presented = presentToken(updated, await projectSlugs(tx, updated.projectIds ?? []));
    await recordAudit(tx, ctx, { action: 'token.revoke', targetType: 'token', targetId: tokenId, before: presentToken(row, new Map()), after: presented });
    return presented;
  });
}
