// Reading and changing one job: load (visibility through its project),
// results, cancel, artifact, lists (finalize is in finalize.ts).
import { and, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import { z } from '@hono/zod-openapi';
import { embeddings, projects, reviewJobItems, reviewJobs } from '../../drizzle/schema.js';
import type { Tx } from '../platform/db.js';
import { ApiError, notFound } from '../platform/errors.js';
import { CursorTimestamp, CursorUuid, decodeCursor, page } from '../platform/schemas.js';
import { inTenant, type TenantContext } from '../tenancy/context.js';
import { inProject, visibleProjects } from '../tenancy/projects.js';
import { heartbeat, lastLease, requireLease } from './claim.js';
import { type ItemRow, type JobRow, presentItem, presentJob } from './present.js';

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** A job the caller may see (its project is visible), locked when asked; else 404. */
export async function loadJob(tx: Tx, ctx: TenantContext, jobId: string, lock = false) {
  const query = tx.select({ job: reviewJobs, slug: projects.slug }).from(reviewJobs)
    .innerJoin(projects, eq(projects.id, reviewJobs.projectId))
    .where(and(eq(reviewJobs.id, jobId), visibleProjects(ctx.member)));
  const rows = lock ? await query.for('update', { of: reviewJobs }) : await query;
  if (rows.length === 0) throw notFound(`Job ${jobId}`);
  return rows[0];
}

async function itemsOf(tx: Tx, jobId: string): Promise<ItemRow[]> {
  return tx.select().from(reviewJobItems).where(eq(reviewJobItems.jobId, jobId)).orderBy(reviewJobItems.ordinal);
}

export async function getJob(ctx: TenantContext, jobId: string) {
  return inTenant(ctx, async (tx) => {
    const { job, slug } = await loadJob(tx, ctx, jobId);
    return { ...presentJob(job, slug), items: (await itemsOf(tx, job.id)).map((i) => presentItem(i)) };
  });
}

/**
 * A job with every item's artifact, for the dashboard's job page: one
 * transaction, so one database connection. Reading each artifact in a
 * transaction of its own, in parallel, took a connection per artifact, and
 * a Worker may hold only 6 at once (issue 17, item 18).
 */
export async function getJobWithArtifacts(ctx: TenantContext, jobId: string) {
  return inTenant(ctx, async (tx) => {
    const { job, slug } = await loadJob(tx, ctx, jobId);
    const rows = await itemsOf(tx, job.id);
    const artifacts = new Map(rows.flatMap((i) => (i.artifact === null ? [] : [[i.id, i.artifact] as const])));
    return { job: { ...presentJob(job, slug), items: rows.map((i) => presentItem(i)) }, artifacts };
  });
}

export async function extendLease(ctx: TenantContext, jobId: string, leaseId: string, leaseSeconds: number) {
  return inTenant(ctx, async (tx) => {
    const { job } = await loadJob(tx, ctx, jobId, true);
    return heartbeat(tx, job, leaseId, leaseSeconds);
  });
}

/** One item's result, as PUT …/result takes it and as finalize may carry it. */
export interface ItemResult {
  outcome: 'pass' | 'warn' | 'fail' | 'error';
  artifact: string;
  telemetry?: Record<string, unknown>;
  embedding?: { model: string; vector: number[] };
}

export interface ResultBody extends ItemResult { lease_id: string }

export const sameResult = (item: ItemRow, body: ItemResult) =>
  item.outcome === body.outcome && item.artifact === body.artifact && JSON.stringify(item.telemetry ?? null) === JSON.stringify(body.telemetry ?? null);

/**
 * One item's result. While the job runs, only the lease holder may write
 * it (a retry may replace it); once the job is over, the same result again
 * is a harmless 200 and a different one is 409.
 */
export async function putResult(ctx: TenantContext, jobId: string, itemId: string, body: ResultBody) {
  return inTenant(ctx, async (tx) => {
    const { job } = await loadJob(tx, ctx, jobId, true);
    const [item] = await tx.select().from(reviewJobItems).where(and(eq(reviewJobItems.id, itemId), eq(reviewJobItems.jobId, job.id)));
    if (!item) throw notFound(`Item ${itemId} of job ${jobId}`);
    // The lease before the result: on a finished job only its last lease gets
    // a replay; any other learns nothing of the item (not even which result it holds).
    const terminal = TERMINAL.has(job.status);
    if (!(terminal && lastLease(job, body.lease_id))) await requireLease(tx, job, body.lease_id);
    if (terminal) {
      if (item.status === 'done' && sameResult(item, body)) return { ...presentItem(item), replayed: true };
      throw new ApiError('job_finalized', `The job is ${job.status}; its results can no longer change`);
    }
    if (item.status === 'done' && sameResult(item, body)) return { ...presentItem(item), replayed: true };
    const [updated] = await tx.update(reviewJobItems).set({
      status: 'done', outcome: body.outcome, artifact: body.artifact, telemetry: body.telemetry ?? null, completedAt: sql`now()`,
    }).where(eq(reviewJobItems.id, item.id)).returning();
    if (body.embedding) await storeRunnerVector(tx, job.projectId, item.id, body.embedding);
    return { ...presentItem(updated), replayed: false };
  });
}

/** What a project says about vectors: which model, how many dimensions, and who computes them. */
export interface ProjectEmbedding { embeddingSource: string | null; embeddingModel: string | null; embeddingDims: number | null }

/**
 * Why a vector the runner computed for an artifact cannot be stored, or null
 * when it can: only when the project says the runner computes them, and only
 * of the project's model and dimension. `path` names the field for the caller.
 */
export function runnerVectorProblem(project: ProjectEmbedding, embedding: { model: string; vector: number[] }, path = 'body.embedding'): ApiError | null {
  const refuse = (detail: string) => new ApiError('validation_failed', detail, { errors: [{ path, message: detail }] });
  if (project.embeddingSource !== 'runner' || !project.embeddingModel) return refuse('This project computes its vectors on the server; send results without an embedding');
  if (embedding.model !== project.embeddingModel) return refuse(`The project's embedding model is ${project.embeddingModel}, not ${embedding.model}`);
  if (embedding.vector.length !== project.embeddingDims) return refuse(`The project's vectors have ${project.embeddingDims} dimensions, not ${embedding.vector.length}`);
  return null;
}

/** Stores a runner's vector for an item's artifact, or throws why it cannot be stored. */
export async function storeRunnerVector(tx: Tx, projectId: string, itemId: string, embedding: { model: string; vector: number[] }) {
  const [project] = await tx.select().from(projects).where(eq(projects.id, projectId));
  const problem = runnerVectorProblem(project, embedding);
  if (problem) throw problem;
  await insertRunnerVector(tx, { orgId: project.orgId, projectId, id: itemId }, project.embeddingDims!, embedding);
}

/** Writes (or replaces) an item's runner vector, already checked against its project by runnerVectorProblem. */
export async function insertRunnerVector(tx: Tx, item: { orgId: string; projectId: string; id: string }, dims: number, embedding: { model: string; vector: number[] }) {
  await tx.insert(embeddings).values({
    orgId: item.orgId, projectId: item.projectId, subjectKind: 'job_item', subjectId: item.id, model: embedding.model, dims, embedding: embedding.vector,
  }).onConflictDoUpdate({ target: [embeddings.subjectKind, embeddings.subjectId, embeddings.model], set: { embedding: sql`excluded.embedding` } });
}

export async function cancelJob(ctx: TenantContext, jobId: string) {
  return inTenant(ctx, async (tx) => {
    const { job, slug } = await loadJob(tx, ctx, jobId, true);
    if (job.status === 'cancelled') return presentJob(job, slug);
    if (TERMINAL.has(job.status)) throw new ApiError('conflict', `The job already ${job.status}; only queued or running jobs can be cancelled`);
    const [done] = await tx.update(reviewJobs).set({
      status: 'cancelled', leaseOwner: null, leaseExpiresAt: null, // leaseId stays: the holder's finalize then replays (lastLease)
      finishedAt: sql`now()`, updatedAt: sql`now()`,
      error: { code: 'cancelled', detail: 'cancelled by a user', by: ctx.member.userId },
    }).where(eq(reviewJobs.id, job.id)).returning();
    return presentJob(done, slug);
  });
}

export async function getArtifact(ctx: TenantContext, jobId: string, itemId: string) {
  return inTenant(ctx, async (tx) => {
    const { job } = await loadJob(tx, ctx, jobId);
    const [item] = await tx.select().from(reviewJobItems).where(and(eq(reviewJobItems.id, itemId), eq(reviewJobItems.jobId, job.id)));
    if (!item) throw notFound(`Item ${itemId} of job ${jobId}`);
    if (item.artifact === null) throw notFound(`An artifact for item ${itemId} (no result yet)`);
    return { job_id: job.id, item_id: item.id, note_path: item.notePath, gate_path: item.gatePath, outcome: item.outcome, artifact: item.artifact };
  });
}

export interface ListJobsQuery {
  limit: number;
  cursor?: string;
  status?: string;
  partition?: string;
  runner?: string;
  created_after?: string;
  created_before?: string;
}

/** The jobs listing's cursor, "created_at|id" of the last row: both parts checked, so neither cast below can fail. */
const JobsCursor = z.string().transform((s) => s.split('|')).pipe(z.tuple([CursorTimestamp, CursorUuid]));

export async function listJobs(ctx: TenantContext, slug: string, q: ListJobsQuery) {
  const cursor = decodeCursor(q.cursor, JobsCursor);
  return inProject(ctx, slug, async (tx, project) => {
    const [cursorAt, cursorId] = cursor ?? [];
    const filters: (SQL | undefined)[] = [
      eq(reviewJobs.projectId, project.id),
      q.status ? eq(reviewJobs.status, q.status as JobRow['status']) : undefined,
      q.partition ? eq(reviewJobs.modelPartition, q.partition) : undefined,
      q.runner ? eq(reviewJobs.runner, q.runner) : undefined,
      q.created_after ? gte(reviewJobs.createdAt, q.created_after) : undefined,
      q.created_before ? lte(reviewJobs.createdAt, q.created_before) : undefined,
      cursor ? sql`(${reviewJobs.createdAt}, ${reviewJobs.id}) < (${cursorAt}::timestamptz, ${cursorId}::uuid)` : undefined,
    ];
    const rows = await tx.select().from(reviewJobs).where(and(...filters)).orderBy(desc(reviewJobs.createdAt), desc(reviewJobs.id)).limit(q.limit + 1);
    // The raw timestamp keeps microseconds; an ISO string would drop them and skip rows made in the same millisecond.
    const { items, next_cursor } = page(rows, q.limit, (r) => `${r.createdAt}|${r.id}`);
    return { items: items.map((r) => presentJob(r, project.slug)), next_cursor };
  });
}
