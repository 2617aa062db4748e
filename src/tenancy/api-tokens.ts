// Minted tokens: issue, list, revoke. The JWT is returned once and never
// stored; its `jti` is the api_tokens row, which revocation and expiry check.
import { and, desc, eq, inArray, isNull, lt, type SQL } from 'drizzle-orm';
import { apiTokens, orgMemberships, projects, users } from '../../drizzle/schema.js';
import type { Tx } from '../platform/db.js';
import { ApiError, notFound } from '../platform/errors.js';
import { decodeCursor, iso, page } from '../platform/schemas.js';
import { recordAudit } from './audit.js';
import type { Member } from './auth/principal.js';
import { roleCeiling, type Role, type Scope } from './auth/scopes.js';
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
async function tokenSubject(tx: Tx, ctx: TenantContext, auth: AuthConfig, req: CreateTokenRequest): Promise<{ userId: string; role: Role; self: boolean }> {
  const { member } = ctx;
  if (req.user_id && req.service) throw new ApiError('validation_failed', 'Give either user_id or service, not both', { errors: [{ path: 'body.service', message: 'exclusive with user_id' }] });
  if (!req.user_id && !req.service) return { userId: member.userId, role: member.role, self: true };
  if (req.user_id === member.userId) return { userId: member.userId, role: member.role, self: true };
  if (!isAdmin(member)) throw new ApiError('insufficient_scope', 'Minting a token for someone else needs the "org:admin" scope', { required_scope: 'org:admin' });
  if (req.user_id) {
    const [row] = await tx.select({ role: orgMemberships.role }).from(orgMemberships).where(eq(orgMemberships.userId, req.user_id));
    if (!row) throw notFound('Member');
    return { userId: req.user_id, role: row.role, self: false };
  }
  // A service identity (runner, agent) is created on first use as a plain member.
  const subject = `service:${req.service}`;
  const [existing] = await tx.select({ id: users.id, role: orgMemberships.role }).from(users)
    .leftJoin(orgMemberships, eq(orgMemberships.userId, users.id))
    .where(and(eq(users.issuer, auth.issuer), eq(users.subject, subject)));
  if (existing?.role) return { userId: existing.id, role: existing.role, self: false };
  const userId = existing?.id ?? (await tx.insert(users).values({
    orgId: member.orgId, issuer: auth.issuer, subject, kind: 'service', displayName: req.service,
  }).returning({ id: users.id }))[0].id;
  await tx.insert(orgMemberships).values({ orgId: member.orgId, userId, role: 'member' });
  await recordAudit(tx, ctx, { action: 'member.add', targetType: 'user', targetId: userId, after: { subject, kind: 'service', role: 'member' } });
  return { userId, role: 'member', self: false };
}

export async function createToken(ctx: TenantContext, auth: AuthConfig, req: CreateTokenRequest) {
  return inTenant(ctx, async (tx) => {
    const subject = await tokenSubject(tx, ctx, auth, req);
    // A token never exceeds its holder's role; minting for yourself, it also
    // never exceeds the token you mint it with.
    const ceiling = subject.self ? [...ctx.member.scopes] : [...roleCeiling[subject.role]];
    const scopes = req.scopes ?? ceiling;
    const beyond = scopes.filter((s) => !ceiling.includes(s));
    if (beyond.length > 0) {
      throw new ApiError('validation_failed', `Scopes beyond what the holder may have: ${beyond.join(', ')}`, {
        errors: beyond.map((s) => ({ path: 'body.scopes', message: `"${s}" exceeds the ceiling` })),
      });
    }
    let projectIds: string[] | null = null;
    if (req.projects) {
      const rows = await tx.select({ id: projects.id, slug: projects.slug }).from(projects)
        .where(and(inArray(projects.slug, req.projects), isNull(projects.deletedAt)));
      const found = new Map(rows.map((r) => [r.slug, r.id]));
      const missing = req.projects.filter((s) => !found.has(s) || (ctx.member.projectIds && !ctx.member.projectIds.includes(found.get(s)!)));
      if (missing.length > 0) {
        throw new ApiError('validation_failed', `Unknown projects: ${missing.join(', ')}`, { errors: missing.map((s) => ({ path: 'body.projects', message: `no project "${s}"` })) });
      }
      projectIds = req.projects.map((s) => found.get(s)!);
    } else if (subject.self && ctx.member.projectIds) {
      projectIds = ctx.member.projectIds;
    }
    const expiresAt = new Date(ctx.now.getTime() + req.expires_in_days * DAY_MS);
    const { row, secret } = await issueToken(tx, auth, {
      orgId: ctx.member.orgId, userId: subject.userId, name: req.name, scopes, projectIds, expiresAt, createdBy: ctx.member.userId, now: ctx.now,
    });
    const presented = presentToken(row, await projectSlugs(tx, projectIds ?? []));
    await recordAudit(tx, ctx, { action: 'token.create', targetType: 'token', targetId: row.id, after: presented });
    return { ...presented, token: secret };
  });
}

export interface ListTokensQuery {
  limit: number;
  cursor?: string;
  user_id?: string;
  include_revoked?: boolean;
}

export async function listTokens(ctx: TenantContext, q: ListTokensQuery) {
  const before = decodeCursor<string>(q.cursor, 'string');
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
