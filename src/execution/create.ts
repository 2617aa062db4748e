// Creating review jobs: from explicit pairs or from a freshness select, in
// one call. The partition and runner model are resolved once and stored;
// each item keeps the revision of its pair it was made against.
import { sql } from 'drizzle-orm';
import { reviewJobItems, reviewJobs } from '../../drizzle/schema.js';
import { lockCurrent, pairKey, requireSnapshots, textKey } from '../freshness/lookup.js';
import { checkSelectSize, selectFreshness, type SelectInput } from '../freshness/select.js';
import type { Limits } from '../platform/config.js';
import { rowsOf, toArray, type Tx } from '../platform/db.js';
import { ApiError } from '../platform/errors.js';
import { resolvePartition, resolveRunnerModel } from '../registry/resolve.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';
import { presentJob } from './present.js';

export interface PairInput { note_path: string; note_sha256: string; gate_path: string; gate_sha256: string }

export interface CreateJobsRequest {
  runner: string;
  model_partition: string;
  runner_model?: string;
  runner_effort?: string;
  priority: number;
  max_attempts: number;
  grouping: 'note' | 'gate';
  batch_size: number;
  context: Record<string, unknown>;
  items?: PairInput[];
  select?: Omit<SelectInput, 'modelPartition'>;
  idempotencyKey?: string;
}

interface Planned extends PairInput { expectedRevision: number | null }

/** Pairs of this partition already in a queued or running job: never queued twice. */
async function pairsInOpenJobs(tx: Tx, projectId: string, partition: string, pairs: PairInput[]) {
  if (pairs.length === 0) return new Map<string, string>();
  const rows = rowsOf<{ note_path: string; gate_path: string; job_id: string }>(await tx.execute(sql`
    select i.note_path, i.gate_path, i.job_id
    from review_job_items i
    join review_jobs j on j.id = i.job_id
    join unnest(${toArray(pairs.map((p) => p.note_path))}::text[], ${toArray(pairs.map((p) => p.gate_path))}::text[]) as k(note_path, gate_path)
      on i.note_path = k.note_path and i.gate_path = k.gate_path
    where i.project_id = ${projectId} and i.model_partition = ${partition} and j.status in ('queued', 'running')`));
  return new Map(rows.map((r) => [pairKey(r.note_path, r.gate_path), r.job_id]));
}

function group(pairs: Planned[], by: 'note' | 'gate', size: number): Planned[][] {
  const groups = new Map<string, Planned[]>();
  for (const p of pairs) {
    const key = by === 'note' ? p.note_path : p.gate_path;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(p);
  }
  const batches: Planned[][] = [];
  for (const members of groups.values()) {
    for (let i = 0; i < members.length; i += size) batches.push(members.slice(i, i + size));
  }
  return batches;
}

export async function createJobs(ctx: TenantContext, slug: string, req: CreateJobsRequest, limits: Limits) {
  if (req.select) checkSelectSize({ ...req.select, modelPartition: req.model_partition }, limits);
  return inProject(ctx, slug, async (tx, project) => {
    const resolution = await resolvePartition(tx, ctx, project, req.model_partition, 'write');
    const partition = resolution.model_partition;
    const runner = await resolveRunnerModel(tx, project.id, partition, req.runner, req);
    // One creator at a time per project and partition, so "not queued twice" holds under concurrency.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`review-jobs:${project.id}:${partition}`}))`);

    let planned: Planned[];
    if (req.select) {
      const selected = await selectFreshness(tx, project.id, { ...req.select, modelPartition: partition, statuses: req.select.statuses ?? ['missing', 'stale'], includeFresh: false });
      if (selected.missing_texts.length > 0) {
        throw new ApiError('validation_failed', `The server does not hold ${selected.missing_texts.length} of the texts named; upload them first`, { missing_texts: selected.missing_texts });
      }
      planned = selected.pairs.map((p) => ({ note_path: p.note_path, note_sha256: p.note_sha256, gate_path: p.gate_path, gate_sha256: p.gate_sha256, expectedRevision: p.revision }));
    } else {
      const items = req.items ?? [];
      const current = await lockCurrent(tx, project.id, partition, items);
      planned = items.map((p) => ({ ...p, expectedRevision: current.get(pairKey(p.note_path, p.gate_path))?.revision ?? null }));
    }
    const texts = await requireSnapshots(tx, project.id, planned.flatMap((p) => [{ path: p.note_path, sha256: p.note_sha256 }, { path: p.gate_path, sha256: p.gate_sha256 }]));
    const open = await pairsInOpenJobs(tx, project.id, partition, planned);
    const skipped = planned.filter((p) => open.has(pairKey(p.note_path, p.gate_path)))
      .map((p) => ({ note_path: p.note_path, gate_path: p.gate_path, job_id: open.get(pairKey(p.note_path, p.gate_path))! }));
    const queued = planned.filter((p) => !open.has(pairKey(p.note_path, p.gate_path)));

    const jobs = [];
    for (const [n, batch] of group(queued, req.grouping, req.batch_size).entries()) {
      const [job] = await tx.insert(reviewJobs).values({
        orgId: project.orgId,
        projectId: project.id,
        modelPartition: partition,
        requestedPartition: req.model_partition,
        runner: req.runner,
        runnerModel: runner.runner_model,
        runnerEffort: runner.runner_effort,
        priority: req.priority,
        maxAttempts: req.max_attempts,
        idempotencyKey: req.idempotencyKey ? `${req.idempotencyKey}:${n}` : null,
        context: req.context,
        warnings: resolution.warnings,
        createdBy: ctx.member.userId,
      }).returning();
      await tx.insert(reviewJobItems).values(batch.map((p, ordinal) => ({
        orgId: project.orgId,
        projectId: project.id,
        jobId: job.id,
        ordinal,
        notePath: p.note_path,
        gatePath: p.gate_path,
        modelPartition: partition,
        noteSnapshotId: texts.get(textKey(p.note_path, p.note_sha256))!.id,
        gateSnapshotId: texts.get(textKey(p.gate_path, p.gate_sha256))!.id,
        expectedRevision: p.expectedRevision,
      })));
      jobs.push({ ...presentJob(job, project.slug), items: batch.length });
    }
    return {
      model_partition: partition,
      requested_partition: req.model_partition,
      runner_model: runner.runner_model,
      runner_effort: runner.runner_effort,
      runner_model_source: runner.source,
      warnings: resolution.warnings,
      jobs,
      queued: queued.length,
      skipped,
    };
  });
}
