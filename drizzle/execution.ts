// Execution: review jobs and their items (one note/gate pair each).
import { sql } from 'drizzle-orm';
import {
  index, integer, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, orgId, tsvector, tstz, updatedAt } from './common.js';
import { reviewOutcome, snapshots } from './freshness.js';
import { projectRef } from './tenancy.js';

export const jobStatus = pgEnum('job_status', ['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export const itemStatus = pgEnum('job_item_status', ['pending', 'done']);

export const reviewJobs = pgTable('review_jobs', {
  id: uuid('id').primaryKey().defaultRandom(),
  orgId: orgId(),
  projectId: uuid('project_id').notNull(),
  modelPartition: text('model_partition').notNull(),
  requestedPartition: text('requested_partition').notNull(),
  runner: text('runner').notNull(),
  runnerModel: text('runner_model'),
  runnerEffort: text('runner_effort'),
  status: jobStatus('status').notNull().default('queued'),
  priority: integer('priority').notNull().default(0),
  attempts: integer('attempts').notNull().default(0),
  maxAttempts: integer('max_attempts').notNull().default(3),
  /** Who holds the lease (the worker's label, for people to read). */
  leaseOwner: text('lease_owner'),
  /** The lease itself: a fresh secret per claim that heartbeats, results and finalize must present. */
  leaseId: uuid('lease_id'),
  leaseExpiresAt: tstz('lease_expires_at'),
  idempotencyKey: text('idempotency_key'),
  context: jsonb('context').notNull().default(sql`'{}'::jsonb`),
  warnings: jsonb('warnings').notNull().default(sql`'[]'::jsonb`),
  error: jsonb('error'),
  createdBy: uuid('created_by'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  startedAt: tstz('started_at'),
  finishedAt: tstz('finished_at'),
}, (t) => [
  projectRef(t, 'review_jobs_project_fk'),
  // Claim reads the best queued row straight off this partial index: it must
  // match the claim's ORDER BY exactly (priority desc nulls last, age, id).
  index('review_jobs_claim_order').on(t.priority.desc().nullsLast(), t.createdAt, t.id).where(sql`status = 'queued'`),
  index('review_jobs_running_lease').on(t.leaseExpiresAt).where(sql`status = 'running'`),
  index('review_jobs_project_created').on(t.projectId, t.createdAt),
  index('review_jobs_partitions').on(t.projectId, t.modelPartition, t.requestedPartition),
  uniqueIndex('review_jobs_idempotency').on(t.projectId, t.idempotencyKey).where(sql`idempotency_key is not null`),
]);

export const reviewJobItems = pgTable('review_job_items', {
  id: uuid('id').primaryKey().defaultRandom(),
  orgId: orgId(),
  projectId: uuid('project_id').notNull(),
  jobId: uuid('job_id').notNull().references(() => reviewJobs.id, { onDelete: 'cascade' }),
  ordinal: integer('ordinal').notNull(),
  notePath: text('note_path').notNull(),
  gatePath: text('gate_path').notNull(),
  modelPartition: text('model_partition').notNull(),
  noteSnapshotId: uuid('note_snapshot_id').notNull().references(() => snapshots.id, { onDelete: 'restrict' }),
  gateSnapshotId: uuid('gate_snapshot_id').notNull().references(() => snapshots.id, { onDelete: 'restrict' }),
  expectedRevision: integer('expected_revision'),
  status: itemStatus('status').notNull().default('pending'),
  outcome: reviewOutcome('outcome'),
  artifact: text('artifact'),
  artifactTsv: tsvector('artifact_tsv').generatedAlwaysAs(sql`to_tsvector('english', coalesce(artifact, ''))`),
  telemetry: jsonb('telemetry'),
  completedAt: tstz('completed_at'),
  createdAt: createdAt(),
}, (t) => [
  index('review_job_items_job').on(t.jobId, t.ordinal),
  index('review_job_items_pair').on(t.projectId, t.notePath, t.gatePath, t.modelPartition),
  index('review_job_items_note_snapshot').on(t.noteSnapshotId),
  index('review_job_items_gate_snapshot').on(t.gateSnapshotId),
  // Search's embedding check reads a project's newest review artifacts.
  index('review_job_items_recent_artifacts').on(t.projectId, t.completedAt).where(sql`artifact is not null`),
]);
