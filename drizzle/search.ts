// Search: embeddings of snapshots and review artifacts.
import {
  integer, pgEnum, pgTable, text, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, orgId, vector } from './common.js';
import { projectRef } from './tenancy.js';

export const embeddingSubject = pgEnum('embedding_subject', ['snapshot', 'job_item']);

/**
 * `embedding` has no typmod; partial HNSW indexes per supported dimension
 * (384, 768, 1024, 1536) live in a custom migration, keyed on `dims`.
 */
export const embeddings = pgTable('embeddings', {
  id: uuid('id').primaryKey().defaultRandom(),
  orgId: orgId(),
  projectId: uuid('project_id').notNull(),
  subjectKind: embeddingSubject('subject_kind').notNull(),
  subjectId: uuid('subject_id').notNull(),
  model: text('model').notNull(),
  dims: integer('dims').notNull(),
  embedding: vector('embedding').notNull(),
  createdAt: createdAt(),
}, (t) => [
  projectRef(t, 'embeddings_project_fk'),
  // subject_id leads: under RLS the enum comparison on subject_kind is not
  // leakproof, so it cannot be an index condition, and a probe "this subject's
  // vector" must find its rows by subject_id (migration 0007).
  uniqueIndex('embeddings_subject_model').on(t.subjectId, t.model, t.subjectKind),
]);
