// Orgs: creation (operator, or a signed-in identity with no org yet) and reading.
import { eq } from 'drizzle-orm';
import { orgMemberships, orgs, users } from '../../drizzle/schema.js';
import { type Database, withTenant } from '../platform/db.js';
import { ApiError } from '../platform/errors.js';
import { iso } from '../platform/schemas.js';
import { issueToken } from './api-tokens.js';
import { recordAudit } from './audit.js';
import type { Principal } from './auth/principal.js';
import { roleCeiling } from './auth/scopes.js';
import type { AuthConfig } from './auth/tokens.js';
import { inTenant, type TenantContext } from './context.js';

export interface CreateOrgRequest {
  slug: string;
  name: string;
  owner?: { issuer?: string; subject: string; email?: string; display_name?: string };
  owner_token_days: number;
}

const presentOrg = (o: typeof orgs.$inferSelect) => ({ id: o.id, slug: o.slug, name: o.name, created_at: iso(o.createdAt) });

/**
 * The new org's id is chosen here so its rows are written through the same
 * tenant transaction as everything else (RLS checks them); a slug taken by
 * another org surfaces as the unique violation, never as a read across tenants.
 */
export async function createOrg(db: Database, auth: AuthConfig, principal: Principal, req: CreateOrgRequest, now: Date, requestId: string | null) {
  if (principal.kind === 'member') throw new ApiError('forbidden', 'This token already belongs to an org; only an operator or a signed-in identity with no org may create one');
  let owner: { issuer: string; subject: string; email: string | null; displayName: string | null };
  if (principal.kind === 'newcomer') {
    if (req.owner) throw new ApiError('validation_failed', 'A signed-in identity becomes the owner itself; omit "owner"', { errors: [{ path: 'body.owner', message: 'not allowed with a user token' }] });
    owner = { issuer: principal.issuer, subject: principal.subject, email: principal.email, displayName: principal.name };
  } else {
    if (!req.owner) throw new ApiError('validation_failed', 'An operator must name the org\'s first owner', { errors: [{ path: 'body.owner', message: 'required' }] });
    owner = { issuer: req.owner.issuer ?? auth.issuer, subject: req.owner.subject, email: req.owner.email ?? null, displayName: req.owner.display_name ?? null };
  }
  const orgId = crypto.randomUUID();
  return withTenant(db, { orgId }, async (tx) => {
    const inserted = await tx.insert(orgs).values({ id: orgId, slug: req.slug, name: req.name }).onConflictDoNothing().returning();
    if (inserted.length === 0) throw new ApiError('already_exists', `The org slug "${req.slug}" is taken`);
    const [user] = await tx.insert(users).values({ orgId, issuer: owner.issuer, subject: owner.subject, email: owner.email, displayName: owner.displayName }).returning();
    await tx.insert(orgMemberships).values({ orgId, userId: user.id, role: 'owner' });
    const member = { kind: 'member' as const, orgId, userId: user.id, role: 'owner' as const, scopes: new Set(roleCeiling.owner), tokenId: null, projectIds: null };
    await recordAudit(tx, { member, requestId }, { action: 'org.create', targetType: 'org', targetId: orgId, after: { slug: req.slug, name: req.name, owner: owner.subject, by: principal.kind } });
    let ownerToken: string | null = null;
    // A local identity has no other way to sign in: hand its first token back once.
    if (owner.issuer === auth.issuer) {
      const expiresAt = new Date(now.getTime() + req.owner_token_days * 86_400_000);
      ownerToken = (await issueToken(tx, auth, { orgId, userId: user.id, name: 'owner (org creation)', scopes: roleCeiling.owner, projectIds: null, expiresAt, createdBy: null, now })).secret;
    }
    return { org: presentOrg(inserted[0]), owner: { user_id: user.id, issuer: user.issuer, subject: user.subject }, owner_token: ownerToken };
  });
}

export async function getOrg(ctx: TenantContext) {
  return inTenant(ctx, async (tx) => {
    const [org] = await tx.select().from(orgs).where(eq(orgs.id, ctx.member.orgId));
    return {
      ...presentOrg(org),
      you: { user_id: ctx.member.userId, role: ctx.member.role, scopes: [...ctx.member.scopes], token_id: ctx.member.tokenId, projects: ctx.member.projectIds },
    };
  });
}
