// Request and response shapes of the freshness routes.
import { z } from '@hono/zod-openapi';
import { Slug, Timestamp } from '../../platform/schemas.js';
import { ManifestEntry, ModelPartition, PairRef, PathPrefix, RepoPath, Sha256 } from '../names.js';

export const ProjectParam = z.object({ project: Slug.openapi({ param: { name: 'project', in: 'path' } }) });

const StatusSchema = z.enum(['fresh', 'stale', 'missing']).openapi('FreshnessStatus');
const ReasonSchema = z.enum(['never_reviewed', 'note_changed', 'gate_changed', 'both_changed']).openapi('StaleReason');
const Manifest = z.array(ManifestEntry).max(200_000);

function uniquePaths(entries: { path: string }[] | undefined, field: string, ctx: z.RefinementCtx) {
  const seen = new Map<string, number>();
  entries?.forEach((e, i) => {
    if (seen.has(e.path)) ctx.addIssue({ code: 'custom', path: [field, i, 'path'], message: `${e.path} is listed twice (also at ${seen.get(e.path)})` });
    else seen.set(e.path, i);
  });
}

/** Either two manifests (every note x every gate) or explicit pairs. */
export const PairSelection = z.object({
  model_partition: ModelPartition,
  notes: Manifest.optional(),
  gates: Manifest.optional(),
  pairs: z.array(PairRef).max(200_000).optional(),
});

function checkSelection(body: z.infer<typeof PairSelection>, ctx: z.RefinementCtx) {
  const manifests = body.notes !== undefined || body.gates !== undefined;
  if (manifests && body.pairs !== undefined) ctx.addIssue({ code: 'custom', path: ['pairs'], message: 'give either notes and gates, or pairs, not both' });
  if (!manifests && body.pairs === undefined) ctx.addIssue({ code: 'custom', path: ['pairs'], message: 'give notes and gates manifests, or explicit pairs' });
  if (manifests && (body.notes === undefined || body.gates === undefined)) ctx.addIssue({ code: 'custom', path: [body.notes ? 'gates' : 'notes'], message: 'notes and gates go together' });
  uniquePaths(body.notes, 'notes', ctx);
  uniquePaths(body.gates, 'gates', ctx);
  const seen = new Set<string>();
  body.pairs?.forEach((p, i) => {
    const key = `${p.note_path}\u0000${p.gate_path}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['pairs', i], message: 'this note x gate pair is listed twice' });
    seen.add(key);
  });
}

export const SelectBody = PairSelection.extend({
  status: z.array(StatusSchema).max(3).optional().openapi({ description: 'Only pairs with these statuses (counts still cover all)' }),
  reason: z.array(ReasonSchema).max(4).optional(),
  include_fresh: z.boolean().default(false),
}).strict().superRefine(checkSelection).openapi('FreshnessSelect');

export const TrivialAckBody = PairSelection.extend({
  dry_run: z.boolean().default(false),
  reason: z.string().min(1).max(2000).optional(),
}).strict().superRefine(checkSelection).openapi('TrivialAck');

export const SelectedPair = z.object({
  note_path: z.string(), gate_path: z.string(), status: StatusSchema, reason: ReasonSchema.nullable(),
  note_sha256: z.string(), gate_sha256: z.string(),
  accepted_note_sha256: z.string().nullable(), accepted_gate_sha256: z.string().nullable(),
  revision: z.number().int().nullable().openapi({ description: 'Carry it to an ack or a job: a write refuses a pair that moved on' }),
}).openapi('SelectedPair');

export const SelectResult = z.object({
  model_partition: z.string().openapi({ description: 'The partition the request resolved to (through an alias, say)' }),
  requested_partition: z.string(),
  warnings: z.array(z.string()),
  counts: z.object({ fresh: z.number().int(), stale: z.number().int(), missing: z.number().int(), total: z.number().int() }),
  reasons: z.object({ never_reviewed: z.number().int(), note_changed: z.number().int(), gate_changed: z.number().int(), both_changed: z.number().int() }),
  pairs: z.array(SelectedPair),
  missing_texts: z.array(z.object({ path: z.string(), sha256: z.string() })).openapi({ description: 'Manifest entries whose text the server does not hold' }),
}).openapi('FreshnessResult');

export const AcceptedBody = z.object({
  model_partition: ModelPartition,
  files: z.array(ManifestEntry).max(200_000).openapi({ description: 'The current hash of each file the client has; send none to learn which paths to read (absent_paths)' }),
}).strict().superRefine((body, ctx) => uniquePaths(body.files, 'files', ctx)).openapi('AcceptedFreshnessRequest');

export const AcceptedResult = SelectResult.omit({ missing_texts: true }).extend({
  absent_paths: z.array(z.string()).openapi({ description: 'Paths of accepted pairs that `files` did not name: read and send them, or they are gone (retire them)' }),
  unchecked: z.number().int().openapi({ description: 'Accepted pairs not checked because a path was absent' }),
}).openapi('AcceptedFreshnessResult');

export const MissingBody = z.object({ files: z.array(ManifestEntry).min(1).max(200_000) }).strict().openapi('SnapshotsMissingRequest');
export const MissingResult = z.object({ missing: z.array(z.object({ path: z.string(), sha256: z.string() })), checked: z.number().int() }).openapi('SnapshotsMissing');

export const UploadBody = z.object({
  files: z.array(z.object({ path: RepoPath, sha256: Sha256, body: z.string() }).strict()).min(1).max(100_000),
}).strict().superRefine((body, ctx) => {
  const seen = new Set<string>();
  body.files.forEach((f, i) => {
    const key = `${f.path}\u0000${f.sha256}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['files', i], message: 'this path and sha256 are listed twice' });
    seen.add(key);
  });
}).openapi('SnapshotUpload');

export const UploadResult = z.object({
  stored: z.number().int(), already_held: z.number().int(),
  files: z.array(z.object({ path: z.string(), sha256: z.string(), byte_size: z.number().int() })),
}).openapi('SnapshotUploadResult');

export const SnapshotParams = ProjectParam.extend({ sha256: Sha256.openapi({ param: { name: 'sha256', in: 'path' } }) });
export const SnapshotQuery = z.object({ path: RepoPath.optional() });
export const SnapshotSchema = z.object({
  sha256: z.string(), path: z.string(), paths: z.array(z.string()), byte_size: z.number().int(), body: z.string(), created_at: Timestamp,
}).openapi('Snapshot');

export const PairQuery = z.object({ note_path: RepoPath, gate_path: RepoPath, model_partition: ModelPartition });

export const AcceptanceEventSchema = z.object({
  id: z.number().int(), revision: z.number().int(), kind: z.enum(['review', 'ack', 'retire', 'import']),
  note_path: z.string(), gate_path: z.string(), model_partition: z.string(), requested_partition: z.string().nullable(),
  note_sha256: z.string().nullable(), gate_sha256: z.string().nullable(), outcome: z.enum(['pass', 'warn', 'fail', 'error']).nullable(),
  job_id: z.string().nullable(), job_item_id: z.string().nullable(), reason: z.string().nullable(), provenance: z.unknown(),
  actor_user_id: z.string().nullable(), actor_token_id: z.string().nullable(), created_at: Timestamp,
}).openapi('AcceptanceEvent');

export const AcceptanceQuery = z.object({
  note_path: RepoPath.optional(),
  gate_path: RepoPath.optional(),
  model_partition: ModelPartition.optional(),
  path_prefix: PathPrefix.optional().openapi({ description: 'Listing only: pairs whose note or gate path starts with this; the same characters refused as in a path' }),
  limit: z.coerce.number().int().min(1).max(10_000).default(50).openapi({ description: 'Page size (history: at most 200 used; listing: up to 10,000)' }),
  cursor: z.string().max(4096).optional(),
});

export const CurrentListSchema = z.object({
  mode: z.literal('current'),
  model_partition: z.string().nullable(),
  items: z.array(z.object({
    note_path: z.string(), gate_path: z.string(), model_partition: z.string(), revision: z.number().int(), kind: z.string(),
    note_sha256: z.string(), gate_sha256: z.string(), outcome: z.string().nullable(), accepted_at: Timestamp,
  })),
  next_cursor: z.string().nullable(),
}).openapi('CurrentAcceptances');

export const HistorySchema = z.object({
  mode: z.literal('history'),
  note_path: z.string(), gate_path: z.string(), model_partition: z.string(), revision: z.number().int().nullable(),
  items: z.array(AcceptanceEventSchema), next_cursor: z.string().nullable(),
}).openapi('AcceptanceHistory');

export const AckBody = z.object({
  model_partition: ModelPartition,
  reason: z.string().min(1).max(2000).optional(),
  pairs: z.array(PairRef.extend({
    expected_revision: z.number().int().min(1).openapi({ description: 'The revision the caller saw (from a select)' }),
    reason: z.string().min(1).max(2000).optional(),
  }).strict()).min(1).max(10_000),
}).strict().superRefine((body, ctx) => {
  const seen = new Set<string>();
  body.pairs.forEach((p, i) => {
    const key = `${p.note_path}\u0000${p.gate_path}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['pairs', i], message: 'this note x gate pair is listed twice' });
    seen.add(key);
  });
}).openapi('AckRequest');

export const AckResult = z.object({
  model_partition: z.string(),
  warnings: z.array(z.string()),
  acked: z.array(z.object({ note_path: z.string(), gate_path: z.string(), revision: z.number().int() })),
}).openapi('AckResult');

const Judged = z.object({
  note_path: z.string(), gate_path: z.string(), revision: z.number().int().nullable(), note_sha256: z.string(), gate_sha256: z.string(),
  changed: z.array(z.string()).optional(), watches: z.union([z.array(z.string()), z.literal('all')]).optional(),
  reason: z.string().optional(), detail: z.string().optional(),
});

export const TrivialAckResult = z.object({
  model_partition: z.string(), warnings: z.array(z.string()), dry_run: z.boolean(), acked: z.number().int(),
  qualifying: z.array(Judged), not_qualifying: z.array(Judged),
  counts: z.object({ fresh: z.number().int(), stale: z.number().int(), missing: z.number().int(), total: z.number().int() }),
}).openapi('TrivialAckResult');

export const RetireBody = z.object({
  paths: z.array(RepoPath).min(1).max(10_000),
  reason: z.string().min(1).max(2000).optional(),
}).strict().openapi('RetireRequest');

export const RetireResult = z.object({
  retired: z.array(z.object({ note_path: z.string(), gate_path: z.string(), model_partition: z.string(), revision: z.number().int() })),
  paths: z.array(z.string()),
}).openapi('RetireResult');

export const DiffQuery = PairQuery.extend({
  note_sha256: Sha256,
  gate_sha256: Sha256,
  event_id: z.coerce.number().int().min(1).optional().openapi({ description: 'Compare against this past acceptance event of the pair' }),
});

const PartDiff = z.object({
  path: z.string(), accepted_sha256: z.string().nullable(), current_sha256: z.string(), changed: z.boolean(),
  accepted_text_available: z.boolean(), current_text_available: z.boolean(), diff: z.string().nullable(),
});

export const DiffResult = z.object({
  note_path: z.string(), gate_path: z.string(), model_partition: z.string(),
  status: StatusSchema, reason: ReasonSchema.nullable(), revision: z.number().int().nullable(), event_id: z.number().int().nullable(),
  note: PartDiff, gate: PartDiff,
}).openapi('PairDiff');

export const GcBody = z.object({
  dry_run: z.boolean().openapi({ description: 'Required: say whether to delete (false) or only count (true)' }),
  min_age_seconds: z.number().int().min(0).max(365 * 86400).default(3600).openapi({ description: 'Spare texts younger than this (just pushed, not yet used)' }),
}).strict().openapi('GcRequest');

export const GcResult = z.object({
  dry_run: z.boolean(), snapshots: z.number().int(), bytes: z.number().int(), embeddings: z.number().int(), min_age_seconds: z.number().int(),
}).openapi('GcResult');

export const IntegrityQuery = z.object({
  rehash: z.enum(['sample', 'all']).default('sample'),
  sample_size: z.coerce.number().int().min(1).max(100_000).default(200),
});

export const IntegrityResult = z.object({
  ok: z.boolean(),
  checked: z.object({ events: z.number().int(), current_pairs: z.number().int(), snapshots: z.number().int(), snapshots_rehashed: z.number().int() }),
  findings: z.array(z.object({
    kind: z.string(), detail: z.string(), note_path: z.string().optional(), gate_path: z.string().optional(),
    model_partition: z.string().optional(), snapshot_id: z.string().optional(), path: z.string().optional(),
  })),
}).openapi('IntegrityReport');
