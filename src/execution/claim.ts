// Claiming work: one statement with FOR UPDATE SKIP LOCKED, so concurrent
// runners never get the same job and never wait on each other; leases that
// expire go back to the queue (or fail at max_attempts) before every claim.
import { and, eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { projects, reviewJobItems, reviewJobs, snapshots } from '../../drizzle/schema.js';
import { type Database, executeNamed, executeNamedQuery, rowsOf, toArray, type Tx, withTenant } from '../platform/db.js';
import { ApiError } from '../platform/errors.js';
import { inTenant, type TenantContext } from '../tenancy/context.js';
import { visibleProjects } from '../tenancy/projects.js';
import { presentJob, type JobRow } from './present.js';

export interface ClaimRequest {
  runner: string;
  worker?: string;
  projects?: string[];
  partitions?: string[];
  lease_seconds: number;
  wait_seconds: number;
}

/**
 * Expired leases: back to `queued` with attempts + 1, or `failed` once
 * attempts reach max_attempts. Runs at every claim (this org, by RLS) and on
 * the scheduled trigger (every org).
 */
export async function reapExpiredLeases(tx: Tx): Promise<number> {
  const rows = rowsOf<{ id: string }>(await executeNamed(tx, sql`
    update review_jobs set
      attempts = attempts + 1,
      status = case when attempts + 1 >= max_attempts then 'failed'::job_status else 'queued'::job_status end,
      error = case when attempts + 1 >= max_attempts
        then jsonb_build_object('code', 'lease_expired', 'detail', 'the lease expired ' || (attempts + 1) || ' time(s); no more attempts')
        else error end,
      finished_at = case when attempts + 1 >= max_attempts then now() else finished_at end,
      lease_owner = null, lease_expires_at = null, updated_at = now(),
      -- A job that ends here keeps its last lease (see lastLease); a requeued one gets a new one at its next claim.
      lease_id = case when attempts + 1 >= max_attempts then lease_id else null end
    where status = 'running' and lease_expires_at < now()
    returning id`));
  return rows.length;
}

/**
 * How long a fresh claim's lease lasts, whatever lease_seconds asked: a
 * claim whose client went away (a long-poll abandoned on Ctrl-C, a lost
 * connection; on Workers the answer is never delivered and nothing notices)
 * leaves its job leased to nobody for at most this long. The runner's first
 * heartbeat extends the lease to the length it wants.
 */
export const FIRST_LEASE_SECONDS = 60;

/**
 * The claim itself: up to `limit` of the best queued jobs (priority, then
 * age) among the projects the caller may see and asked for, skipping rows
 * another claimer holds, moved to `running` under one lease id in the same
 * statement. The partial index on queued jobs supplies the order, so the
 * scan stops after `limit` unlocked rows. The lease clock is the
 * database's, shared by every isolate.
 */
async function claimJobs(tx: Tx, ctx: TenantContext, req: ClaimRequest, limit: number): Promise<string[]> {
  // Lists travel as one array parameter, so the statement's text does not
  // depend on them and it runs as one named prepared statement.
  const visible = tx.select({ id: projects.id }).from(projects)
    .where(and(visibleProjects(ctx.member), req.projects ? sql`${projects.slug} = any(${toArray(req.projects)}::text[])` : undefined));
  const leaseId = crypto.randomUUID();
  const rows = rowsOf<{ id: string }>(await executeNamed(tx, sql`
    with candidate as (
      select j.id from review_jobs j
      where j.status = 'queued'
        and j.runner = ${req.runner}
        and j.project_id in (${visible})
        ${req.partitions ? sql`and j.model_partition = any(${toArray(req.partitions)}::text[])` : sql``}
      order by j.priority desc nulls last, j.created_at, j.id
      limit ${limit}
      for update skip locked
    )
    update review_jobs j set
      status = 'running', lease_owner = ${req.worker ?? req.runner}, lease_id = ${leaseId},
      lease_expires_at = now() + make_interval(secs => ${Math.min(req.lease_seconds, FIRST_LEASE_SECONDS)}),
      started_at = coalesce(j.started_at, now()), updated_at = now()
    from candidate where j.id = candidate.id
    returning j.id`));
  return rows.map((r) => r.id);
}

/**
 * Everything a runner needs to render prompts, for every claimed job in one
 * statement: the job with its project's slug and each item with its exact
 * note and gate texts, in the queue's order (UPDATE ... RETURNING gives
 * none). A job always has items; the outer joins keep a job in the answer
 * even if one had none, since it is already claimed.
 */
async function claimedWork(tx: Tx, jobIds: string[]) {
  const note = alias(snapshots, 'note');
  const gate = alias(snapshots, 'gate');
  const rows = await executeNamedQuery(tx.select({
    job: reviewJobs, slug: projects.slug,
    item: {
      id: reviewJobItems.id, ordinal: reviewJobItems.ordinal, note_path: reviewJobItems.notePath, gate_path: reviewJobItems.gatePath,
      note_sha256: note.sha256, gate_sha256: gate.sha256, note_text: note.body, gate_text: gate.body,
      expected_revision: reviewJobItems.expectedRevision, status: reviewJobItems.status, outcome: reviewJobItems.outcome,
    },
  }).from(reviewJobs)
    .innerJoin(projects, eq(projects.id, reviewJobs.projectId))
    .leftJoin(reviewJobItems, eq(reviewJobItems.jobId, reviewJobs.id))
    .leftJoin(note, eq(note.id, reviewJobItems.noteSnapshotId))
    .leftJoin(gate, eq(gate.id, reviewJobItems.gateSnapshotId))
    .where(sql`${reviewJobs.id} = any(${toArray(jobIds)}::uuid[])`)
    .orderBy(sql`${reviewJobs.priority} desc nulls last`, reviewJobs.createdAt, reviewJobs.id, reviewJobItems.ordinal), 'gh_claimed_work');
  const claimed = new Map<string, { job: JobRow; slug: string; items: NonNullable<(typeof rows)[number]['item']>[] }>();
  for (const { job, slug, item } of rows) {
    let entry = claimed.get(job.id);
    if (!entry) claimed.set(job.id, (entry = { job, slug, items: [] }));
    if (item?.id != null) entry.items.push(item);
  }
  return [...claimed.values()];
}

/** One claim attempt in its own short transaction: reap, claim, read the texts. */
async function claimAttempt(ctx: TenantContext, req: ClaimRequest, limit: number) {
  return inTenant(ctx, async (tx) => {
    await reapExpiredLeases(tx);
    const ids = await claimJobs(tx, ctx, req, limit);
    if (ids.length === 0) return [];
    return (await claimedWork(tx, ids)).map(({ job, slug, items }) => ({
      job: presentJob(job, slug),
      lease: { id: job.leaseId!, expires_at: new Date(job.leaseExpiresAt!).toISOString() },
      items,
    }));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Claim up to `limit` jobs, long-polling up to wait_seconds instead of
 * making runners spin: each attempt is its own short transaction, so a
 * waiting claimer holds no locks and no connection between attempts. The
 * first attempt that finds any work answers with what it found.
 */
export async function claimJobsWaiting(ctx: TenantContext, req: ClaimRequest, limit: number, signal?: AbortSignal) {
  const deadline = Date.now() + req.wait_seconds * 1000;
  let pause = 100;
  for (;;) {
    const claimed = await claimAttempt(ctx, req, limit);
    if (claimed.length > 0 || Date.now() >= deadline || signal?.aborted) return claimed;
    await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
    pause = Math.min(pause * 2, 1000);
  }
}

/** The single-job claim: the first of a batch of one, or null. */
export async function claimJob(ctx: TenantContext, req: ClaimRequest, signal?: AbortSignal) {
  return (await claimJobsWaiting(ctx, req, 1, signal))[0] ?? null;
}

/**
 * The lease rule, for every runner call: the job is running under this very
 * lease, and the lease is live by the database's clock. Null when it holds,
 * else the 409 `lease_lost` to answer.
 */
export function leaseProblem(job: JobRow, live: boolean, leaseId: string): ApiError | null {
  if (job.status !== 'running' || job.leaseId !== leaseId) {
    return new ApiError('lease_lost', job.status === 'running'
      ? 'This lease is not the job\'s current lease (it expired and the job was claimed again)'
      : `The job is ${job.status}; its lease is over`, { job_status: job.status });
  }
  return live ? null : new ApiError('lease_lost', 'The lease has expired; the job goes back to the queue');
}

/**
 * Whether `leaseId` is the last lease of a finished job. Only that lease's
 * holder gets a replay (finalize or a result sent again): a finished job
 * keeps its lease id for this (never shown; lease_owner and expiry are
 * cleared), so any other lease is refused like a stranger's.
 */
export function lastLease(job: JobRow, leaseId: string): boolean {
  return job.leaseId !== null && job.leaseId === leaseId;
}

/** The lease rule for a job loaded without its liveness: asks the database's clock, then throws the 409. */
export async function requireLease(tx: Tx, job: JobRow, leaseId: string): Promise<void> {
  const held = leaseProblem(job, true, leaseId);
  if (held) throw held;
  const [row] = rowsOf<{ live: boolean }>(await tx.execute(sql`select ${job.leaseExpiresAt}::timestamptz > now() as live`));
  const expired = leaseProblem(job, row.live, leaseId);
  if (expired) throw expired;
}

export async function heartbeat(tx: Tx, job: JobRow, leaseId: string, leaseSeconds: number) {
  await requireLease(tx, job, leaseId);
  const [updated] = await tx.update(reviewJobs).set({
    leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})`,
    updatedAt: sql`now()`,
  }).where(eq(reviewJobs.id, job.id)).returning();
  return { lease: { id: leaseId, expires_at: new Date(updated.leaseExpiresAt!).toISOString() } };
}

/** The scheduled reaper over every org (operator-side listing, then each org in its own tenant transaction). */
export async function reapAllOrgs(db: Database): Promise<number> {
  const orgs = rowsOf<{ org_id: string }>(await db.execute(sql`select distinct org_id from review_jobs where status = 'running' and lease_expires_at < now()`));
  let total = 0;
  for (const { org_id } of orgs) total += await withTenant(db, { orgId: org_id }, (tx) => reapExpiredLeases(tx));
  return total;
}
