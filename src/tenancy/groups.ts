// Groups: named sets of members that projects can be shared with.
import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import { groupMemberships, groups, orgMemberships } from '../../drizzle/schema.js';
import type { Tx } from '../platform/db.js';
import { notFound } from '../platform/errors.js';
import { CursorText, decodeCursor, iso, page } from '../platform/schemas.js';
import { recordAudit } from './audit.js';
import { assertOrgWide } from './auth/grants.js';
import { inTenant, type TenantContext } from './context.js';

type GroupRow = typeof groups.$inferSelect;

async function presentGroups(tx: Tx, rows: GroupRow[]) {
  const members = rows.length === 0 ? [] : await tx.select({ groupId: groupMemberships.groupId, userId: groupMemberships.userId })
    .from(groupMemberships).where(inArray(groupMemberships.groupId, rows.map((g) => g.id))).orderBy(asc(groupMemberships.userId));
  return rows.map((g) => ({
    id: g.id,
    name: g.name,
    description: g.description,
    members: members.filter((m) => m.groupId === g.id).map((m) => m.userId),
    created_at: iso(g.createdAt),
  }));
}

export async function listGroups(ctx: TenantContext, q: { limit: number; cursor?: string }) {
  const after = decodeCursor(q.cursor, CursorText);
  return inTenant(ctx, async (tx) => {
    const rows = await tx.select().from(groups).where(after ? gt(groups.name, after) : undefined).orderBy(asc(groups.name)).limit(q.limit + 1);
    const { items, next_cursor } = page(rows, q.limit, (g) => g.name);
    return { items: await presentGroups(tx, items), next_cursor };
  });
}

export async function createGroup(ctx: TenantContext, req: { name: string; description?: string }) {
  return inTenant(ctx, async (tx) => {
    const [row] = await tx.insert(groups).values({ orgId: ctx.member.orgId, name: req.name, description: req.description ?? null, createdBy: ctx.member.userId }).returning();
    const [presented] = await presentGroups(tx, [row]);
    await recordAudit(tx, ctx, { action: 'group.create', targetType: 'group', targetId: row.id, after: presented });
    return presented;
  });
}

async function loadGroupAndMember(tx: Tx, groupId: string, userId: string) {
  const [group] = await tx.select().from(groups).where(eq(groups.id, groupId));
  if (!group) throw notFound('Group');
  const [member] = await tx.select({ userId: orgMemberships.userId }).from(orgMemberships).where(eq(orgMemberships.userId, userId));
  if (!member) throw notFound('Member');
  return group;
}

export async function addGroupMember(ctx: TenantContext, groupId: string, userId: string) {
  // A group opens every project shared with it, not only the caller's.
  assertOrgWide(ctx.member, 'change group memberships');
  return inTenant(ctx, async (tx) => {
    await loadGroupAndMember(tx, groupId, userId);
    const added = await tx.insert(groupMemberships).values({ orgId: ctx.member.orgId, groupId, userId }).onConflictDoNothing().returning();
    if (added.length > 0) await recordAudit(tx, ctx, { action: 'group.member.add', targetType: 'group', targetId: groupId, after: { user_id: userId } });
    return { group_id: groupId, user_id: userId, added: added.length > 0 };
  });
}

export async function removeGroupMember(ctx: TenantContext, groupId: string, userId: string) {
  assertOrgWide(ctx.member, 'change group memberships');
  await inTenant(ctx, async (tx) => {
    const [group] = await tx.select().from(groups).where(eq(groups.id, groupId));
    if (!group) throw notFound('Group');
    const removed = await tx.delete(groupMemberships).where(and(eq(groupMemberships.groupId, groupId), eq(groupMemberships.userId, userId))).returning();
    if (removed.length === 0) throw notFound('Group member');
    await recordAudit(tx, ctx, { action: 'group.member.remove', targetType: 'group', targetId: groupId, before: { user_id: userId } });
  });
}
