// The audit log: who changed what in admin and registry, with before/after.
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { auditLog } from '../../drizzle/schema.js';
import type { Tx } from '../platform/db.js';
import { CursorInt, decodeCursor, page } from '../platform/schemas.js';
import { inTenant, type TenantContext } from './context.js';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  projectId?: string | null;
  before?: unknown;
  after?: unknown;
}

/** Written inside the same transaction as the change it records. */
export async function recordAudit(tx: Tx, ctx: Pick<TenantContext, 'member' | 'requestId'>, entry: AuditEntry): Promise<void> {
  await recordAudits(tx, ctx, [entry]);
}

/** Many entries of one change in one statement. */
export async function recordAudits(tx: Tx, ctx: Pick<TenantContext, 'member' | 'requestId'>, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.insert(auditLog).values(entries.map((entry) => ({
    orgId: ctx.member.orgId,
    actorUserId: ctx.member.userId,
    actorTokenId: ctx.member.tokenId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId ?? null,
    projectId: entry.projectId ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
    requestId: ctx.requestId,
  })));
}

export interface AuditQuery {
  limit: number;
  cursor?: string;
  action?: string;
  target_type?: string;
}

export async function listAudit(ctx: TenantContext, q: AuditQuery) {
  const after = decodeCursor(q.cursor, CursorInt);
  const filters: (SQL | undefined)[] = [
    after !== undefined ? lt(auditLog.id, after) : undefined,
    q.action ? eq(auditLog.action, q.action) : undefined,
    q.target_type ? eq(auditLog.targetType, q.target_type) : undefined,
  ];
  const rows = await inTenant(ctx, (tx) => tx.select().from(auditLog).where(and(...filters)).orderBy(desc(auditLog.id)).limit(q.limit + 1));
  return page(rows.map((r) => ({
    id: r.id,
    action: r.action,
    target_type: r.targetType,
    target_id: r.targetId,
    project_id: r.projectId,
    actor_user_id: r.actorUserId,
    actor_token_id: r.actorTokenId,
    before: r.before,
    after: r.after,
    request_id: r.requestId,
    created_at: new Date(r.createdAt).toISOString(),
  })), q.limit, (r) => r.id);
}
