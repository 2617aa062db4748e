// Finalizing jobs: one job (POST /jobs/{job}/finalize) or many in one call
// (POST /jobs/finalize/batch), optionally carrying the items' results, so a
// runner that works through many small jobs pays one round trip and one
// transaction for a whole batch. Each job stays all or nothing on its own.
import { and, eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { projects, reviewJobItems, reviewJobs, snapshots } from '../../drizzle/schema.js';
import { type AcceptanceInput, recordAcceptance } from '../freshness/acceptance.js';
import { executeNamed, executeNamedQuery, rowsOf, toArray, type Tx } from '../platform/db.js';
import { ApiError, notFound } from '../platform/errors.js';
import { inTenant, type TenantContext } from '../tenancy/context.js';
import { visibleProjects } from '../tenancy/projects.js';
import { lastLease, leaseProblem } from './claim.js';
import { insertRunnerVector, type ProjectEmbedding, runnerVectorProblem, sameResult, TERMINAL, type ItemResult } from './jobs.js';
import { type ItemRow, type JobRow, presentItem, presentJob } from './present.js';

export interface FinalizeEntry {
  job: string;
  lease_id: string;
  /** Results to store first, exactly as PUT …/items/{item}/result would. */
  results?: (ItemResult & { item: string })[];
}

export type FinalizedJob = ReturnType<typeof presentJob> & { items: ReturnType<typeof presentItem>[]; replayed: boolean };
export type FinalizeOutcome = { job_id: string; job: FinalizedJob; error: null } | { job_id: string; job: null; error: ApiError };

/** The single-job route: the batch of one, its refusal thrown as the response. */
export async function finalizeJob(ctx: TenantContext, jobId: string, leaseId: string, results?: FinalizeEntry['results']) {
  const [outcome] = await finalizeJobs(ctx, [{ job: jobId, lease_id: leaseId, results }], () => 'body');
  if (outcome.error) throw outcome.error;
  return outcome.job;
}

/**
 * Finalize many jobs in one transaction. A job that cannot be finalized
 * (not visible, lease lost, an unknown item, a different result after the
 * end) is refused on its own entry and nothing of it is written; the others
 * go ahead. Every finalized job is all or nothing, as with one job.
 */
export async function finalizeJobs(ctx: TenantContext, entries: FinalizeEntry[], entryPath = (index: number) => `body.jobs.${index}`): Promise<FinalizeOutcome[]> {
  try {
    return await finalizeInOneTransaction(ctx, entries, entryPath, false);
  } catch (err) {
    // Rare: some pair moved since its job was created. Everything of the
    // first try is rolled back; the careful pass isolates each job.
    if (err instanceof RevisionConflict) return finalizeInOneTransaction(ctx, entries, entryPath, true);
    throw err;
  }
}

/** Thrown out of an optimistic pass to roll it back whole. */
class RevisionConflict extends Error {}

async function finalizeInOneTransaction(ctx: TenantContext, entries: FinalizeEntry[], entryPath: (index: number) => string, careful: boolean): Promise<FinalizeOutcome[]> {
  return inTenant(ctx, async (tx) => {
    const { locked, hashes } = await lockJobsWithItems(tx, ctx, entries.map((e) => e.job));
    const outcomes = new Map<string, FinalizeOutcome>();
    const live: { entry: FinalizeEntry; job: JobRow; slug: string; items: ItemRow[] }[] = [];
    const writes: { row: ItemRow; result: ItemResult; dims: number | null }[] = [];

    for (const [index, entry] of entries.entries()) {
      const found = locked.get(entry.job);
      const refuse = (error: ApiError) => outcomes.set(entry.job, { job_id: entry.job, job: null, error });
      if (!found) { refuse(notFound(`Job ${entry.job}`)); continue; }
      const jobItems = found.items;
      const checked = matchResults(entry, jobItems);
      if (checked instanceof ApiError) { refuse(checked); continue; }
      // The lease before the results: on a finished job only its last lease
      // gets a replay; any other learns no more than a stranger's (409), not
      // the job's content nor (through job_finalized) which results it holds.
      const terminal = TERMINAL.has(found.job.status);
      const lease = terminal && lastLease(found.job, entry.lease_id) ? null : leaseProblem(found.job, found.live, entry.lease_id);
      if (lease) { refuse(lease); continue; }
      const changed = checked.flatMap((w, at) => (w.row.status === 'done' && sameResult(w.row, w.result) ? [] : [{ ...w, at }]));
      if (terminal) {
        // After the end only the same results again are accepted.
        if (changed.length > 0) refuse(new ApiError('job_finalized', `The job is ${found.job.status}; its results can no longer change`));
        else outcomes.set(entry.job, { job_id: entry.job, job: { ...presentJob(found.job, found.slug), items: jobItems.map((i) => presentItem(i)), replayed: true }, error: null });
        continue;
      }
      // A vector the project cannot take refuses its own job, before anything of it is written, not the whole batch.
      const vector = vectorProblem(changed, found.embedding, entryPath(index));
      if (vector) { refuse(vector); continue; }
      for (const w of changed) {
        writes.push({ row: w.row, result: w.result, dims: found.embedding.embeddingDims });
        Object.assign(w.row, { status: 'done', outcome: w.result.outcome, artifact: w.result.artifact, telemetry: w.result.telemetry ?? null });
      }
      live.push({ entry, job: found.job, slug: found.slug, items: jobItems });
    }

    // The acceptances go first: they need only the results as sent, and a
    // conflict in the optimistic pass then rolls back before anything else
    // was written. All in one transaction, so the order is not visible.
    const verdicts = await accept(tx, ctx, live, hashes, careful);
    const done = await storeAndClose(tx, writes, live.map(({ job, items: jobItems }) => ({ job, ...verdicts.get(job.id)!, warnings: [...(job.warnings as string[]), ...telemetryWarnings(job, jobItems)] })));
    for (const w of writes) if (w.result.embedding) await insertRunnerVector(tx, w.row, w.dims!, w.result.embedding);
    for (const { job, slug, items: jobItems } of live) {
      outcomes.set(job.id, { job_id: job.id, job: { ...presentJob(done.get(job.id)!, slug), items: jobItems.map((i) => presentItem(i)), replayed: false }, error: null });
    }
    return entries.map((e) => outcomes.get(e.job)!);
  });
}

/**
 * Every asked-for job the caller may see, locked, with whether its lease is
 * still live by the database's clock, then its items with their two texts'
 * hashes (which the acceptance events record). Two statements on purpose:
 * under READ COMMITTED a statement that waited for a row lock re-reads only
 * the locked rows, so items joined into the locking statement could predate
 * a result stored by the transaction it waited for; a new statement sees it.
 * Locks are taken in id order so two batches that share jobs cannot deadlock.
 */
async function lockJobsWithItems(tx: Tx, ctx: TenantContext, ids: string[]) {
  const jobs = await executeNamedQuery(tx.select({
    job: reviewJobs,
    slug: projects.slug,
    live: sql<boolean>`coalesce(${reviewJobs.leaseExpiresAt} > now(), false)`,
    embedding: { embeddingSource: projects.embeddingSource, embeddingModel: projects.embeddingModel, embeddingDims: projects.embeddingDims },
  })
    .from(reviewJobs)
    .innerJoin(projects, eq(projects.id, reviewJobs.projectId))
    .where(and(sql`${reviewJobs.id} = any(${toArray(ids)}::uuid[])`, visibleProjects(ctx.member)))
    .orderBy(reviewJobs.id)
    .for('update', { of: reviewJobs }));
  const locked = new Map(jobs.map((j) => [j.job.id, { ...j, items: [] as ItemRow[] }]));
  const hashes = new Map<string, { note: string; gate: string }>();
  if (locked.size === 0) return { locked, hashes };
  const note = alias(snapshots, 'note');
  const gate = alias(snapshots, 'gate');
  const items = await executeNamedQuery(tx.select({ item: reviewJobItems, note: note.sha256, gate: gate.sha256 }).from(reviewJobItems)
    .innerJoin(note, eq(note.id, reviewJobItems.noteSnapshotId))
    .innerJoin(gate, eq(gate.id, reviewJobItems.gateSnapshotId))
    .where(sql`${reviewJobItems.jobId} = any(${toArray([...locked.keys()])}::uuid[])`)
    .orderBy(reviewJobItems.jobId, reviewJobItems.ordinal), 'gh_finalize_items');
  for (const { item, note: n, gate: g } of items) {
    locked.get(item.jobId)!.items.push(item);
    hashes.set(item.id, { note: n, gate: g });
  }
  return { locked, hashes };
}

/** The entry's results matched to the job's items; an item not of this job is 404, whatever the lease. */
function matchResults(entry: FinalizeEntry, jobItems: ItemRow[]): { row: ItemRow; result: ItemResult }[] | ApiError {
  const byId = new Map(jobItems.map((i) => [i.id, i]));
  const matched: { row: ItemRow; result: ItemResult }[] = [];
  for (const result of entry.results ?? []) {
    const row = byId.get(result.item);
    if (!row) return notFound(`Item ${result.item} of job ${entry.job}`);
    matched.push({ row, result });
  }
  return matched;
}

/** The first runner vector among an entry's new results that its project cannot take, named by where it is in the request. */
function vectorProblem(changed: { result: ItemResult; at: number }[], project: ProjectEmbedding, entryPath: string): ApiError | null {
  for (const { result, at } of changed) {
    if (!result.embedding) continue;
    const problem = runnerVectorProblem(project, result.embedding, `${entryPath}.results.${at}.embedding`);
    if (problem) return problem;
  }
  return null;
}

type Verdict = { error: Record<string, unknown> | null };

/**
 * Which jobs succeed. Jobs with a missing or `error` result fail without
 * touching acceptance. The rest record one `review` acceptance per item,
 * all of them together (one statement per project, the common case). The
 * optimistic pass does that with no savepoint, which costs two round trips
 * per batch; a revision conflict there throws RevisionConflict, so the
 * whole transaction rolls back and runs again carefully: together in a
 * savepoint first, then job by job, each in its own savepoint, so the
 * conflict fails only its own job.
 */
async function accept(tx: Tx, ctx: TenantContext, live: { job: JobRow; items: ItemRow[] }[], hashes: Map<string, { note: string; gate: string }>, careful: boolean): Promise<Map<string, Verdict>> {
  const verdicts = new Map<string, Verdict>();
  const ready: { job: JobRow; events: AcceptanceInput[] }[] = [];
  for (const { job, items } of live) {
    const pending = items.filter((i) => i.status !== 'done');
    const errored = items.filter((i) => i.outcome === 'error');
    if (pending.length > 0) verdicts.set(job.id, { error: { code: 'incomplete', detail: `${pending.length} of ${items.length} items have no result`, items: pending.map((i) => i.id) } });
    else if (errored.length > 0) verdicts.set(job.id, { error: { code: 'item_error', detail: `${errored.length} of ${items.length} items ended in error`, items: errored.map((i) => i.id) } });
    else ready.push({ job, events: items.map((i) => reviewEvent(job, i, hashes.get(i.id)!)) });
  }
  if (ready.length === 0) return verdicts;

  const byProject = new Map<string, AcceptanceInput[]>();
  for (const r of ready) {
    const list = byProject.get(r.job.projectId);
    if (list) list.push(...r.events); else byProject.set(r.job.projectId, [...r.events]);
  }
  const recordAll = async (sp: Tx) => {
    for (const [projectId, events] of byProject) await recordAcceptance(sp, ctx, projectId, events, ctx.now);
  };
  if (!careful) {
    if (await refused(() => recordAll(tx))) throw new RevisionConflict();
    for (const r of ready) verdicts.set(r.job.id, { error: null });
    return verdicts;
  }
  const together = await attempt(tx, recordAll);
  if (together === null) {
    for (const r of ready) verdicts.set(r.job.id, { error: null });
    return verdicts;
  }
  for (const r of ready) {
    const failure = ready.length === 1 ? together : await attempt(tx, (sp) => recordAcceptance(sp, ctx, r.job.projectId, r.events, ctx.now));
    verdicts.set(r.job.id, { error: failure === null ? null : { code: failure.code, detail: failure.detail, pairs: failure.extra.pairs } });
  }
  return verdicts;
}

/** Run `fn` in a savepoint; a revision conflict (or a pair twice in one call) rolls it back and is returned, anything else propagates. */
async function attempt(tx: Tx, fn: (sp: Tx) => Promise<unknown>): Promise<ApiError | null> {
  return refused(() => tx.transaction((sp) => fn(sp as Tx)));
}

/** The revision conflict (or pair twice in one call) `fn` was refused with, or null; anything else propagates. */
async function refused(fn: () => Promise<unknown>): Promise<ApiError | null> {
  try {
    await fn();
    return null;
  } catch (err) {
    if (err instanceof ApiError && (err.code === 'stale_baseline_revision' || err.code === 'validation_failed')) return err;
    throw err;
  }
}

function reviewEvent(job: JobRow, i: ItemRow, sha: { note: string; gate: string }): AcceptanceInput {
  return {
    notePath: i.notePath, gatePath: i.gatePath, modelPartition: job.modelPartition, requestedPartition: job.requestedPartition,
    kind: 'review', noteSnapshotId: i.noteSnapshotId, gateSnapshotId: i.gateSnapshotId,
    noteSha256: sha.note, gateSha256: sha.gate, outcome: i.outcome, expectedRevision: i.expectedRevision, jobId: job.id, jobItemId: i.id,
  };
}

/**
 * Telemetry is evidence: a model other than the job's runner model is a
 * warning, nothing more. One warning per model observed, with its count,
 * not one per item: a job of 42 items run by the wrong model says so once.
 */
function telemetryWarnings(job: JobRow, items: ItemRow[]): string[] {
  const observedCounts = new Map<string, number>();
  for (const item of items) {
    const t = (item.telemetry ?? {}) as Record<string, unknown>;
    const observed = typeof t.model === 'string' ? t.model : typeof t.observed_model === 'string' ? t.observed_model : null;
    if (observed && job.runnerModel && observed !== job.runnerModel) observedCounts.set(observed, (observedCounts.get(observed) ?? 0) + 1);
  }
  return [...observedCounts].map(([observed, n]) =>
    `${n} of ${items.length} item(s) report model ${observed}, not the job's runner model ${job.runnerModel}`);
}

/**
 * The batch's new results stored and every live job moved to its end state,
 * in one statement (unnest keeps it one round trip whatever the count); the
 * rows come back merged with what was set.
 */
async function storeAndClose(tx: Tx, writes: { row: ItemRow; result: ItemResult }[], closing: { job: JobRow; error: Record<string, unknown> | null; warnings: string[] }[]): Promise<Map<string, JobRow>> {
  if (writes.length === 0 && closing.length === 0) return new Map();
  const stamped = rowsOf<{ kind: 'item' | 'job'; id: string; at: string; updated_at: string | null }>(await executeNamed(tx, sql`
    with stored as (
      update review_job_items i set
        status = 'done', outcome = v.outcome::review_outcome, artifact = v.artifact, telemetry = v.telemetry::jsonb, completed_at = now()
      from unnest(${toArray(writes.map((w) => w.row.id))}::uuid[], ${toArray(writes.map((w) => w.result.outcome))}::text[],
                  ${toArray(writes.map((w) => w.result.artifact))}::text[], ${toArray(writes.map((w) => (w.result.telemetry ? JSON.stringify(w.result.telemetry) : null)))}::text[])
        as v(id, outcome, artifact, telemetry)
      where i.id = v.id
      returning i.id, i.completed_at
    ), closed as (
      update review_jobs j set
        status = v.status::job_status, error = v.error::jsonb, warnings = v.warnings::jsonb,
        lease_owner = null, lease_expires_at = null, finished_at = now(), updated_at = now()
      from unnest(${toArray(closing.map((c) => c.job.id))}::uuid[], ${toArray(closing.map((c) => (c.error ? 'failed' : 'succeeded')))}::text[],
                  ${toArray(closing.map((c) => (c.error ? JSON.stringify(c.error) : null)))}::text[], ${toArray(closing.map((c) => JSON.stringify(c.warnings)))}::text[])
        as v(id, status, error, warnings)
      where j.id = v.id
      returning j.id, j.finished_at, j.updated_at
    )
    select 'item' as kind, id, completed_at as at, null::timestamptz as updated_at from stored
    union all
    select 'job', id, finished_at, updated_at from closed`));
  const at = new Map(stamped.map((r) => [`${r.kind} ${r.id}`, r]));
  for (const w of writes) w.row.completedAt = at.get(`item ${w.row.id}`)?.at ?? w.row.completedAt;
  return new Map(closing.map(({ job, error, warnings }) => [job.id, {
    ...job, status: error ? 'failed' : 'succeeded', error, warnings,
    leaseOwner: null, leaseExpiresAt: null, finishedAt: at.get(`job ${job.id}`)!.at, updatedAt: at.get(`job ${job.id}`)!.updated_at!,
  } satisfies JobRow]));
}
