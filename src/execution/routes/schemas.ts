// Request and response shapes of the execution routes.
import { z } from '@hono/zod-openapi';
import { ModelPartition, PairRef, ManifestEntry } from '../../freshness/names.js';
import { freeFormObject, ProblemSchema, Slug, Timestamp, Uuid } from '../../platform/schemas.js';
import { Effort, Runner, RunnerModel } from '../../registry/routes/schemas.js';

const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).openapi('JobStatus');
const Outcome = z.enum(['pass', 'warn', 'fail', 'error']).openapi('ReviewOutcome');

export const JobSchema = z.object({
  id: Uuid, project: z.string(), status: JobStatus, model_partition: z.string(), requested_partition: z.string(),
  runner: z.string(), runner_model: z.string().nullable(), runner_effort: z.string().nullable(),
  priority: z.number().int(), attempts: z.number().int(), max_attempts: z.number().int(),
  lease_owner: z.string().nullable(), lease_expires_at: Timestamp.nullable(),
  context: z.record(z.string(), z.unknown()), warnings: z.array(z.string()), error: z.unknown(),
  created_by: Uuid.nullable(), created_at: Timestamp, updated_at: Timestamp, started_at: Timestamp.nullable(), finished_at: Timestamp.nullable(),
}).openapi('ReviewJob');

export const ItemSchema = z.object({
  id: Uuid, ordinal: z.number().int(), note_path: z.string(), gate_path: z.string(),
  expected_revision: z.number().int().nullable(), status: z.enum(['pending', 'done']), outcome: Outcome.nullable(),
  has_artifact: z.boolean(), telemetry: z.unknown(), completed_at: Timestamp.nullable(),
}).openapi('ReviewJobItem');

export const JobWithItems = JobSchema.extend({ items: z.array(ItemSchema) }).openapi('ReviewJobWithItems');

const Context = z.object({
  codebase: z.string().max(500).optional(),
  client_id: z.string().max(200).optional(),
  session_id: z.string().max(200).optional(),
  host: z.string().max(200).optional(),
}).catchall(z.union([z.string().max(1000), z.number(), z.boolean(), z.null()])).refine((c) => Object.keys(c).length <= 30, 'at most 30 context fields')
  .openapi({ description: 'Where the request came from (codebase, client id, session id, host); stored as given' });

export const CreateJobsBody = z.object({
  runner: Runner,
  model_partition: ModelPartition,
  runner_model: RunnerModel.optional(),
  runner_effort: Effort.optional(),
  priority: z.number().int().min(-1000).max(1000).default(0),
  max_attempts: z.number().int().min(1).max(20).default(3),
  grouping: z.enum(['note', 'gate']).default('note'),
  batch_size: z.number().int().min(1).max(500).default(50),
  context: Context.default({}),
  items: z.array(PairRef).min(1).max(50_000).optional().openapi({ description: 'Explicit pairs to review' }),
  select: z.object({
    notes: z.array(ManifestEntry).max(200_000).optional(),
    gates: z.array(ManifestEntry).max(200_000).optional(),
    pairs: z.array(PairRef).max(200_000).optional(),
    status: z.array(z.enum(['stale', 'missing'])).max(2).optional(),
    reason: z.array(z.enum(['never_reviewed', 'note_changed', 'gate_changed', 'both_changed'])).max(4).optional(),
  }).strict().optional().openapi({ description: 'A freshness select; its non-fresh pairs become the items' }),
}).strict().superRefine((b, ctx) => {
  if ((b.items === undefined) === (b.select === undefined)) ctx.addIssue({ code: 'custom', path: ['items'], message: 'give either items or select' });
  if (b.select && (b.select.pairs === undefined) === (b.select.notes === undefined || b.select.gates === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['select'], message: 'select takes notes and gates manifests, or pairs' });
  }
  const seen = new Set<string>();
  (b.items ?? b.select?.pairs ?? []).forEach((p, i) => {
    const key = `${p.note_path}\u0000${p.gate_path}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [b.items ? 'items' : 'select', ...(b.items ? [] : ['pairs']), i], message: 'this note x gate pair is listed twice' });
    seen.add(key);
  });
}).openapi('CreateJobs');

export const CreatedJobs = z.object({
  model_partition: z.string(), requested_partition: z.string(),
  runner_model: z.string().nullable(), runner_effort: z.string().nullable(), runner_model_source: z.enum(['explicit', 'registry', 'none']),
  warnings: z.array(z.string()),
  jobs: z.array(JobSchema.extend({ items: z.number().int() })),
  queued: z.number().int(),
  skipped: z.array(z.object({ note_path: z.string(), gate_path: z.string(), job_id: Uuid })).openapi({ description: 'Pairs already in an open job under this partition' }),
}).openapi('CreatedJobs');

export const ClaimBody = z.object({
  runner: Runner.openapi({ description: 'Claim jobs made for this runner' }),
  worker: z.string().min(1).max(200).regex(/^[^\u0000-\u001f\u007f]+$/).optional().openapi({ description: 'A label for who holds the lease (host, pid)' }),
  projects: z.array(Slug).min(1).max(100).optional(),
  partitions: z.array(ModelPartition).min(1).max(100).optional(),
  lease_seconds: z.number().int().min(10).max(3600).default(300).openapi({ description: 'The lease the runner wants. The claim grants at most 60 s of it (lease.expires_at says when it ends), so a claim whose client went away frees its job within a minute; heartbeat with lease_seconds within that minute to hold the job longer' }),
  wait_seconds: z.number().int().min(0).max(60).default(0).openapi({ description: 'Long-poll: wait up to this long for a job instead of answering 204 at once' }),
}).strict().openapi('ClaimRequest');

export const ClaimedJob = z.object({
  job: JobSchema,
  lease: z.object({ id: Uuid, expires_at: Timestamp.openapi({ description: 'When this lease ends: at most 60 s after the claim, until a heartbeat extends it' }) }),
  items: z.array(z.object({
    id: Uuid, ordinal: z.number().int(), note_path: z.string(), gate_path: z.string(), note_sha256: z.string(), gate_sha256: z.string(),
    note_text: z.string(), gate_text: z.string(), expected_revision: z.number().int().nullable(), status: z.enum(['pending', 'done']), outcome: Outcome.nullable(),
  })),
}).openapi('ClaimedJob');

export const JobParam = z.object({ job: Uuid.openapi({ param: { name: 'job', in: 'path' } }) });
export const ItemParams = JobParam.extend({ item: Uuid.openapi({ param: { name: 'item', in: 'path' } }) });
export const ProjectParam = z.object({ project: Slug.openapi({ param: { name: 'project', in: 'path' } }) });

export const HeartbeatBody = z.object({ lease_id: Uuid, lease_seconds: z.number().int().min(10).max(3600).default(300).openapi({ description: 'The lease then ends this long from now (the first heartbeat after a claim grants the length the claim asked for)' }) }).strict().openapi('Heartbeat');
export const ReleaseBody = z.object({ lease_id: Uuid }).strict().openapi('Release');
export const LeaseSchema = z.object({ lease: z.object({ id: Uuid, expires_at: Timestamp }) }).openapi('Lease');

export const ResultBody = z.object({
  lease_id: Uuid,
  outcome: Outcome,
  artifact: z.string().max(1_000_000).openapi({ description: 'The review rationale, markdown' }),
  telemetry: freeFormObject('Evidence: observed model, effort, tokens, duration, extras').optional(),
  embedding: z.object({
    model: z.string().min(1).max(200),
    vector: z.array(z.number().finite()).min(1).max(1536),
  }).strict().optional().openapi({ description: 'The artifact\'s vector, when the project says the runner computes them' }),
}).strict().openapi('ItemResult');

const ItemResultEntry = ResultBody.omit({ lease_id: true }).extend({ item: Uuid }).strict().openapi('ItemResultEntry');

/** No item twice in one finalize: which of two results would win is not a question to leave open. */
const uniqueItems = (results: { item: string }[] | undefined, ctx: z.RefinementCtx, path: (string | number)[]) => {
  const seen = new Set<string>();
  (results ?? []).forEach((r, i) => {
    if (seen.has(r.item)) ctx.addIssue({ code: 'custom', path: [...path, i, 'item'], message: 'this item has a result earlier in the list' });
    seen.add(r.item);
  });
};

const finalizeFields = {
  lease_id: Uuid,
  results: z.array(ItemResultEntry).max(500).optional()
    .openapi({ description: 'Results to store first, as PUT …/items/{item}/result would (saves a request per item)' }),
};

export const FinalizeBody = z.object(finalizeFields).strict()
  .superRefine((b, ctx) => uniqueItems(b.results, ctx, ['results'])).openapi('FinalizeRequest');

export const BatchFinalizeBody = z.object({
  jobs: z.array(z.object({ job: Uuid, ...finalizeFields }).strict()).min(1).max(100),
}).strict().superRefine((b, ctx) => {
  const seen = new Set<string>();
  let results = 0;
  b.jobs.forEach((j, i) => {
    if (seen.has(j.job)) ctx.addIssue({ code: 'custom', path: ['jobs', i, 'job'], message: 'this job is listed twice' });
    seen.add(j.job);
    uniqueItems(j.results, ctx, ['jobs', i, 'results']);
    results += j.results?.length ?? 0;
  });
  if (results > 1000) ctx.addIssue({ code: 'custom', path: ['jobs'], message: `at most 1000 results in one request (got ${results})` });
}).openapi('BatchFinalizeRequest');

export const ClaimBatchBody = ClaimBody.extend({
  max_jobs: z.number().int().min(1).max(100).default(10).openapi({ description: 'Claim up to this many jobs, each with its own lease' }),
}).strict().openapi('ClaimBatchRequest');

export const ClaimedJobs = z.object({ jobs: z.array(ClaimedJob) }).openapi('ClaimedJobs');

export const ResultReply = ItemSchema.extend({ replayed: z.boolean() }).openapi('ItemResultReply');
export const FinalizedJob = JobWithItems.extend({ replayed: z.boolean() }).openapi('FinalizedJob');

export const BatchFinalizeReply = z.object({
  jobs: z.array(z.object({
    job_id: Uuid,
    job: FinalizedJob.nullable().openapi({ description: 'The job, succeeded or failed with its reason; null when this entry was refused' }),
    problem: ProblemSchema.nullable().openapi({ description: 'Why this entry was refused (not found, lease lost, job finalized); nothing of it was written' }),
  })),
}).openapi('BatchFinalizeReply');

export const ArtifactSchema = z.object({
  job_id: Uuid, item_id: Uuid, note_path: z.string(), gate_path: z.string(), outcome: Outcome.nullable(), artifact: z.string(),
}).openapi('Artifact');

export const ListJobsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
  status: JobStatus.optional(),
  partition: ModelPartition.optional(),
  runner: Runner.optional(),
  created_after: z.string().datetime({ offset: true }).optional(),
  created_before: z.string().datetime({ offset: true }).optional(),
});
