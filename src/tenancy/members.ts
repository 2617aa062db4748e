// Org members: who belongs to the org and with which role.
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { apiTokens, orgMemberships, users } from '../../drizzle/schema.js';
import type { Tx } from '../platform/db.js';
import { ApiError, notFound } from '../platform/errors.js';
import { CursorUuid, decodeCursor, iso, page } from '../platform/schemas.js';
import { recordAudit, recordAudits } from './audit.js';
import { assertMayGrantRole } from './auth/grants.js';
import type { Role } from './auth/scopes.js';
import type { AuthConfig } from './auth/tokens.js';
import { inTenant, type TenantContext } from './context.js';

const memberColumns = {
  userId: users.id, issuer: users.issuer, subject: users.subject, kind: users.kind,
  email: users.email, displayName: users.displayName, role: orgMemberships.role, createdAt: orgMemberships.createdAt,
};

type MemberRow = { userId: string; issuer: string; subject: string; kind: 'human' | 'service'; email: string | null; displayName: string | null; role: Role; createdAt: string };

const presentMember = (m: MemberRow) => ({
  user_id: m.userId, issuer: m.issuer, subject: m.subject, kind: m.kind, email: m.email,
  display_name: m.displayName, role: m.role, member_since: iso(m.createdAt),
});

async function loadMember(tx: Tx, userId: string): Promise<MemberRow> {
  const [row] = await tx.select(memberColumns).from(orgMemberships)
    .innerJoin(users, eq(users.id, orgMemberships.userId)).where(eq(orgMemberships.userId, userId));
  if (!row) throw notFound('Member');
  return row;
}

function guardRoleChange(ctx: TenantContext, from: Role | null, to: Role | null) {
  assertMayGrantRole(ctx.member, from, to);
}

async function assertNotLastOwner(tx: Tx, userId: string) {
  // Lock the owners so two concurrent demotions cannot both pass the check.
  const owners = await tx.execute(sql`select user_id from org_memberships where role = 'owner' for update`);
  const ids = (owners as unknown as { rows: { user_id: string }[] }).rows.map((r) => r.user_id);
  if (ids.length === 1 && ids[0] === userId) throw new ApiError('last_owner', 'The org must keep at least one owner');
}

export async function listMembers(ctx: TenantContext, q: { limit: number; cursor?: string }) {
  const after = decodeCursor(q.cursor, CursorUuid);
  const rows = await inTenant(ctx, (tx) => tx.select(memberColumns).from(orgMemberships)
    .innerJoin(users, eq(users.id, orgMemberships.userId))
    .where(after ? gt(users.id, after) : undefined).orderBy(asc(users.id)).limit(q.limit + 1));
  return page(rows.map(presentMember), q.limit, (m) => m.user_id);
}

export interface AddMemberRequest {
  issuer?: string;
  subject: string;
  email?: string;
  display_name?: string;
  role: Role;
}

export async function addMember(ctx: TenantContext, auth: AuthConfig, req: AddMemberRequest) {
  guardRoleChange(ctx, null, req.role);
  return inTenant(ctx, async (tx) => {
    const issuer = req.issuer ?? auth.issuer;
    const [user] = await tx.insert(users).values({
      orgId: ctx.member.orgId, issuer, subject: req.subject, email: req.email ?? null, displayName: req.display_name ?? null,
    }).onConflictDoUpdate({
      target: [users.orgId, users.issuer, users.subject],
      set: { email: sql`coalesce(excluded.email, ${users.email})`, displayName: sql`coalesce(excluded.display_name, ${users.displayName})` },
    }).returning();
    const added = await tx.insert(orgMemberships).values({ orgId: ctx.member.orgId, userId: user.id, role: req.role }).onConflictDoNothing().returning();
    if (added.length === 0) throw new ApiError('already_exists', `${issuer} ${req.subject} is already a member`, { user_id: user.id });
    const member = await loadMember(tx, user.id);
    await recordAudit(tx, ctx, { action: 'member.add', targetType: 'user', targetId: user.id, after: presentMember(member) });
    return presentMember(member);
  });
}

export async function updateMember(ctx: TenantContext, userId: string, req: { role: Role }) {
  return inTenant(ctx, async (tx) => {
    const before = await loadMember(tx, userId);
    guardRoleChange(ctx, before.role, req.role);
    if (before.role === 'owner' && req.role !== 'owner') await assertNotLastOwner(tx, userId);
    await tx.update(orgMemberships).set({ role: req.role, updatedAt: ctx.now.toISOString() }).where(eq(orgMemberships.userId, userId));
    const after = await loadMember(tx, userId);
    await recordAudit(tx, ctx, { action: 'member.update', targetType: 'user', targetId: userId, before: presentMember(before), after: presentMember(after) });
    return presentMember(after);
  });
}

/**
 * Removing a membership revokes every token the member holds, in the same
 * transaction, so re-adding the member (or re-creating a service of the
 * same name) brings none of them back. (The token lookup also refuses a
 * token older than its holder's membership: migration 0010.)
 */
export async function removeMember(ctx: TenantContext, userId: string) {
  await inTenant(ctx, async (tx) => {
    const before = await loadMember(tx, userId);
    guardRoleChange(ctx, before.role, null);
    if (before.role === 'owner') await assertNotLastOwner(tx, userId);
    await tx.delete(orgMemberships).where(and(eq(orgMemberships.userId, userId)));
    const revoked = await tx.update(apiTokens)
      .set({ revokedAt: ctx.now.toISOString(), revokedBy: ctx.member.userId })
      .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id, name: apiTokens.name });
    await recordAudits(tx, ctx, [
      { action: 'member.remove', targetType: 'user', targetId: userId, before: presentMember(before), after: { revoked_tokens: revoked.length } },
      ...revoked.map((token) => ({
        action: 'token.revoke', targetType: 'token', targetId: token.id,
        before: { id: token.id, name: token.name, user_id: userId }, after: { revoked_at: ctx.now.toISOString(), reason: 'member.remove' },
      })),
    ]);
  });
}
