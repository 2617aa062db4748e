// Freshness: exact texts, and which of them were accepted under which partition.
// Knows nothing of runners, prompts, batching or retries.
import { sql } from 'drizzle-orm';
import {
  bigint, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, orgId, tsvector, tstz } from './common.js';
import { projectRef } from './tenancy.js';

export const acceptanceKind = pgEnum('acceptance_kind', ['review', 'ack', 'retire', 'import']);
export const reviewOutcome = pgEnum('review_outcome', ['pass', 'warn', 'fail', 'error']);

export const snapshots = pgTable('snapshots', {
  id: uuid('id').primaryKey().defaultRandom(),
  orgId: orgId(),
  projectId: uuid('project_id').notNull(),
  path: text('path').notNull(),
  body: text('body').notNull(),
  sha256: text('sha256').notNull(),
  byteSize: integer('byte_size').notNull(),
  bodyTsv: tsvector('body_tsv').generatedAlwaysAs(sql`to_tsvector('english', body)`),
  createdBy: uuid('created_by'),
  createdAt: createdAt(),
}, (t) => [
  projectRef(t, 'snapshots_project_fk'),
  uniqueIndex('snapshots_project_path_sha').on(t.projectId, t.path, t.sha256),
  index('snapshots_project_sha').on(t.projectId, t.sha256),
]);

/**
 * Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE. Hashes are kept
 * beside the snapshot ids so history still compares after GC collects a text.
 */
export const acceptanceEvents = pgTable('acceptance_events', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  orgId: orgId(),
  projectId: uuid('project_id').notNull(),
  notePath: text('note_path').notNull(),
  gatePath: text('gate_path').notNull(),
  modelPartition: text('model_partition').notNull(),
  /** The partition string the writer asked for (an alias, say) before resolution. */
  requestedPartition: text('requested_partition'),
  revision: integer('revision').notNull(),
  kind: acceptanceKind('kind').notNull(),
  noteSnapshotId: uuid('note_snapshot_id'),
  gateSnapshotId: uuid('gate_snapshot_id'),
  noteSha256: text('note_sha256'),
  gateSha256: text('gate_sha256'),
  outcome: reviewOutcome('outcome'),
  jobId: uuid('job_id'),
  jobItemId: uuid('job_item_id'),
  reason: text('reason'),
  provenance: jsonb('provenance'),
  /**
   * Imports only: what identifies the imported baseline in its source, so
   * re-running an import (or resuming one) finds what it already recorded.
   */
  sourceKey: text('source_key'),
  actorUserId: uuid('actor_user_id'),
  actorTokenId: uuid('actor_token_id'),
  createdAt: createdAt(),
}, (t) => [
  projectRef(t, 'acceptance_events_project_fk'),
  index('acceptance_events_pair').on(t.projectId, t.notePath, t.gatePath, t.modelPartition, t.id),
  // The registry asks whether a partition or an alias was ever used.
  index('acceptance_events_partition').on(t.projectId, t.modelPartition),
  index('acceptance_events_requested').on(t.projectId, t.requestedPartition),
  uniqueIndex('acceptance_events_source_key').on(t.projectId, t.sourceKey).where(sql`source_key is not null`),
]);

/**
 * Derived: the latest event per pair and partition, written in the same
 * transaction as the event. A retired pair keeps its row (snapshots null) so
 * the revision keeps counting up. FKs to snapshots make GC safe by construction.
 */
export const acceptanceCurrent = pgTable('acceptance_current', {
  orgId: orgId(),
  projectId: uuid('project_id').notNull(),
  notePath: text('note_path').notNull(),
  gatePath: text('gate_path').notNull(),
  modelPartition: text('model_partition').notNull(),
  revision: integer('revision').notNull(),
  eventId: bigint('event_id', { mode: 'number' }).notNull().references(() => acceptanceEvents.id),
  kind: acceptanceKind('kind').notNull(),
  noteSnapshotId: uuid('note_snapshot_id').references(() => snapshots.id, { onDelete: 'restrict' }),
  gateSnapshotId: uuid('gate_snapshot_id').references(() => snapshots.id, { onDelete: 'restrict' }),
  noteSha256: text('note_sha256'),
  gateSha256: text('gate_sha256'),
  outcome: reviewOutcome('outcome'),
  acceptedAt: tstz('accepted_at').notNull(),
}, (t) => [
  projectRef(t, 'acceptance_current_project_fk'),
  primaryKey({ columns: [t.projectId, t.notePath, t.gatePath, t.modelPartition] }),
  index('acceptance_current_partition').on(t.projectId, t.modelPartition),
  // GC asks "does any current row still use this snapshot?" per snapshot.
  index('acceptance_current_note_snapshot').on(t.noteSnapshotId),
  index('acceptance_current_gate_snapshot').on(t.gateSnapshotId),
  // Search's embedding check reads a project's newest acceptances (event ids only grow).
  index('acceptance_current_recent').on(t.projectId, t.eventId),
]);
