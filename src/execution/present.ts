// How jobs and items look on the wire.
import { reviewJobItems, reviewJobs } from '../../drizzle/schema.js';
import { iso } from '../platform/schemas.js';

export type JobRow = typeof reviewJobs.$inferSelect;
export type ItemRow = typeof reviewJobItems.$inferSelect;

export function presentJob(j: JobRow, projectSlug: string) {
  return {
    id: j.id,
    project: projectSlug,
    status: j.status,
    model_partition: j.modelPartition,
    requested_partition: j.requestedPartition,
    runner: j.runner,
    runner_model: j.runnerModel,
    runner_effort: j.runnerEffort,
    priority: j.priority,
    attempts: j.attempts,
    max_attempts: j.maxAttempts,
    lease_owner: j.leaseOwner,
    lease_expires_at: iso(j.leaseExpiresAt),
    // jsonb, typed unknown by drizzle; the column is an object (default {}), as the document says.
    context: (j.context ?? {}) as Record<string, unknown>,
    warnings: j.warnings as string[],
    error: j.error,
    created_by: j.createdBy,
    created_at: iso(j.createdAt),
    updated_at: iso(j.updatedAt),
    started_at: iso(j.startedAt),
    finished_at: iso(j.finishedAt),
  };
}

export function presentItem(i: ItemRow, hashes?: { note: string; gate: string }) {
  return {
    id: i.id,
    ordinal: i.ordinal,
    note_path: i.notePath,
    gate_path: i.gatePath,
    ...(hashes ? { note_sha256: hashes.note, gate_sha256: hashes.gate } : {}),
    expected_revision: i.expectedRevision,
    status: i.status,
    outcome: i.outcome,
    has_artifact: i.artifact !== null,
    telemetry: i.telemetry,
    completed_at: iso(i.completedAt),
  };
}
