// Projects (one per knowledge base) and who may see them. Visibility is a
// WHERE clause, not a check after loading, so lists and lookups agree and a
// project the caller may not see answers exactly like one that does not exist.
import { and, asc, eq, gt, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { embeddings, groups, projects, orgMemberships } from '../../drizzle/schema.js';
import { toArray, type Tx } from '../platform/db.js';
import { ApiError, notFound } from '../platform/errors.js';
import { CursorText, decodeCursor, iso, page } from '../platform/schemas.js';
import { recordAudit } from './audit.js';
import type { Member } from './auth/principal.js';
import { inTenant, type TenantContext } from './context.js';

export type ProjectRow = typeof projects.$inferSelect;
export type Visibility = 'private' | 'group' | 'org';

const isOrgAdmin = (m: Member) => m.role === 'owner' || m.role === 'admin';

/** The projects a member may see: owner, org admins, org-wide, or shared with one of their groups. */
export function visibleProjects(member: Member): SQL {
  const clauses: (SQL | undefined)[] = [isNull(projects.deletedAt)];
  // One array parameter, not a list: the statement's text must not depend on how many projects a token names (see executeNamed).
  if (member.projectIds) clauses.push(sql`${projects.id} = any(${toArray(member.projectIds)}::uuid[])`);
  if (!isOrgAdmin(member)) {
    clauses.push(or(
      eq(projects.ownerUserId, member.userId),
      eq(projects.visibility, 'org'),
      and(eq(projects.visibility, 'group'),
        sql`${projects.sharedWithGroups} && array(select gm.group_id from group_memberships gm where gm.user_id = ${member.userId})`),
    ));
  }
  return and(...clauses)!;
}

/** Load a visible project by slug inside a tenant transaction, or 404. */
export async function loadProject(tx: Tx, member: Member, slug: string): Promise<ProjectRow> {
  const [row] = await tx.select().from(projects).where(and(eq(projects.slug, slug), visibleProjects(member))).limit(1);
  if (!row) throw notFound(`Project "${slug}"`);
  return row;
}

export function presentProject(p: ProjectRow) {
  return {
    id: p.id,
    slug: p.slug,
    name: p.name,
    description: p.description,
    owner_user_id: p.ownerUserId,
    visibility: p.visibility,
    shared_with_groups: p.sharedWithGroups,
    unknown_partition_policy: p.unknownPartitionPolicy,
    embedding: p.embeddingModel ? { model: p.embeddingModel, dims: p.embeddingDims, source: p.embeddingSource } : null,
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
  };
}

async function assertGroupsExist(tx: Tx, ids: string[]) {
  if (ids.length === 0) return;
  const rows = await tx.select({ id: groups.id }).from(groups).where(inArray(groups.id, ids));
  const known = new Set(rows.map((r) => r.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw new ApiError('validation_failed', `Unknown groups: ${missing.join(', ')}`, { errors: missing.map((id) => ({ path: 'body.shared_with_groups', message: `no group ${id}` })) });
  }
}

/** Changing a project's settings or deleting it: its owner or an org admin. */
function assertCanManage(member: Member, p: ProjectRow) {
  if (p.ownerUserId !== member.userId && !isOrgAdmin(member)) {
    throw new ApiError('forbidden', 'Only the project owner or an org admin may change or delete this project');
  }
}

export async function listProjects(ctx: TenantContext, q: { limit: number; cursor?: string }) {
  const after = decodeCursor(q.cursor, CursorText);
  const rows = await inTenant(ctx, (tx) => tx.select().from(projects)
    .where(and(visibleProjects(ctx.member), after ? gt(projects.slug, after) : undefined))
    .orderBy(asc(projects.slug)).limit(q.limit + 1));
  return page(rows.map(presentProject), q.limit, (p) => p.slug);
}

export async function getProject(ctx: TenantContext, slug: string) {
  return inTenant(ctx, async (tx) => presentProject(await loadProject(tx, ctx.member, slug)));
}

export interface CreateProjectRequest {
  slug: string;
  name?: string;
  description?: string;
  visibility?: Visibility;
  shared_with_groups?: string[];
}

export async function createProject(ctx: TenantContext, req: CreateProjectRequest) {
  if (ctx.member.projectIds) throw new ApiError('forbidden', 'A token limited to certain projects cannot create projects');
  return inTenant(ctx, async (tx) => {
    const shared = [...new Set(req.shared_with_groups ?? [])];
    await assertGroupsExist(tx, shared);
    const inserted = await tx.insert(projects).values({
      orgId: ctx.member.orgId,
      slug: req.slug,
      name: req.name ?? req.slug,
      description: req.description ?? null,
      ownerUserId: ctx.member.userId,
      visibility: req.visibility ?? 'org',
      sharedWithGroups: shared,
      createdBy: ctx.member.userId,
    }).onConflictDoNothing().returning();
    if (inserted.length === 0) throw new ApiError('already_exists', `A project with slug "${req.slug}" already exists`);
    const presented = presentProject(inserted[0]);
    await recordAudit(tx, ctx, { action: 'project.create', targetType: 'project', targetId: presented.id, projectId: presented.id, after: presented });
    return presented;
  });
}

export interface UpdateProjectRequest {
  name?: string;
  description?: string | null;
  visibility?: Visibility;
  shared_with_groups?: string[];
  owner_user_id?: string;
  embedding?: { model: string; dims: number; source: 'server' | 'runner' };
}

export async function updateProject(ctx: TenantContext, slug: string, req: UpdateProjectRequest) {
  return inTenant(ctx, async (tx) => {
    const before = await loadProject(tx, ctx.member, slug);
    assertCanManage(ctx.member, before);
    if (req.shared_with_groups) await assertGroupsExist(tx, req.shared_with_groups);
    if (req.embedding && !isOrgAdmin(ctx.member)) throw new ApiError('forbidden', 'Only org admins may change a project\'s embedding model');
    if (req.owner_user_id) {
      const [m] = await tx.select({ role: orgMemberships.role }).from(orgMemberships).where(eq(orgMemberships.userId, req.owner_user_id));
      if (!m) throw new ApiError('validation_failed', 'The new owner must be a member of the org', { errors: [{ path: 'body.owner_user_id', message: 'not a member' }] });
    }
    const [after] = await tx.update(projects).set({
      ...(req.name !== undefined ? { name: req.name } : {}),
      ...(req.description !== undefined ? { description: req.description } : {}),
      ...(req.visibility !== undefined ? { visibility: req.visibility } : {}),
      ...(req.shared_with_groups !== undefined ? { sharedWithGroups: [...new Set(req.shared_with_groups)] } : {}),
      ...(req.owner_user_id !== undefined ? { ownerUserId: req.owner_user_id } : {}),
      ...(req.embedding ? { embeddingModel: req.embedding.model, embeddingDims: req.embedding.dims, embeddingSource: req.embedding.source } : {}),
      updatedAt: ctx.now.toISOString(),
    }).where(eq(projects.id, before.id)).returning();
    if (req.embedding) {
      // Vectors of any other model no longer count: drop them, and the drain embeds everything again.
      await tx.delete(embeddings).where(and(eq(embeddings.projectId, before.id), ne(embeddings.model, req.embedding.model)));
    }
    const presented = presentProject(after);
    await recordAudit(tx, ctx, { action: 'project.update', targetType: 'project', targetId: before.id, projectId: before.id, before: presentProject(before), after: presented });
    return presented;
  });
}

/** Archive: the project disappears from every route; its append-only history stays. */
export async function deleteProject(ctx: TenantContext, slug: string) {
  await inTenant(ctx, async (tx) => {
    const before = await loadProject(tx, ctx.member, slug);
    assertCanManage(ctx.member, before);
    await tx.update(projects).set({ deletedAt: ctx.now.toISOString(), updatedAt: ctx.now.toISOString() }).where(eq(projects.id, before.id));
    await recordAudit(tx, ctx, { action: 'project.delete', targetType: 'project', targetId: before.id, projectId: before.id, before: presentProject(before) });
  });
}

/** Run `fn` in the tenant transaction with a project the caller may see (else 404). */
export async function inProject<T>(ctx: TenantContext, slug: string, fn: (tx: Tx, project: ProjectRow) => Promise<T>): Promise<T> {
  return inTenant(ctx, async (tx) => fn(tx, await loadProject(tx, ctx.member, slug)));
}
