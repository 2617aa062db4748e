// Acceptance: the append-only event log and the current row per pair,
// always written together. The one entry point for every writer (reviews
// from execution, acks, retires, imports) is recordAcceptance.
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { acceptanceCurrent, acceptanceEvents } from '../../drizzle/schema.js';
import type { Tx } from '../platform/db.js';
import { executeNamed, rowsOf, toArray } from '../platform/db.js';
import { ApiError } from '../platform/errors.js';
import { CursorInt, decodeCursor, iso, page } from '../platform/schemas.js';
import type { Member } from '../tenancy/auth/principal.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';
import { resolvePartition } from '../registry/resolve.js';

export type AcceptanceKind = 'review' | 'ack' | 'retire' | 'import';
export type Outcome = 'pass' | 'warn' | 'fail' | 'error';

export interface PairKey { notePath: string; gatePath: string; modelPartition: string }

export interface AcceptanceInput extends PairKey {
  kind: AcceptanceKind;
  /** What the writer asked for before registry resolution, when it differs. */
  requestedPartition?: string | null;
  /** Null for retire events. */
  noteSnapshotId: string | null;
  gateSnapshotId: string | null;
  noteSha256: string | null;
  gateSha256: string | null;
  outcome: Outcome | null;
  /** The pair's revision the writer acted on; null when it saw no acceptance. */
  expectedRevision: number | null;
  jobId?: string | null;
  jobItemId?: string | null;
  reason?: string | null;
  provenance?: Record<string, unknown> | null;
  /** Imports: the baseline's identity in its source (unique per project). */
  sourceKey?: string | null;
}

export interface StaleRevision extends PairKey { expected: number | null; actual: number | null }

const keyOf = (k: PairKey) => `${k.notePath}\u0000${k.gatePath}\u0000${k.modelPartition}`;

/**
 * Append one event per input and move each pair's current row to it, in the
 * caller's transaction. The upsert only applies where the stored revision is
 * still the one the writer saw (expected + 1 = the new revision); any pair
 * where it is not makes the whole call fail with `stale_baseline_revision`,
 * and the caller's transaction rolls back every event with it. Two writers
 * acting on the same revision therefore never both win.
 */
export async function recordAcceptance(
  tx: Tx,
  actor: { member: Pick<Member, 'orgId' | 'userId' | 'tokenId'> },
  projectId: string,
  inputs: AcceptanceInput[],
  now: Date,
): Promise<{ recorded: number }> {
  if (inputs.length === 0) return { recorded: 0 };
  const seen = new Set<string>();
  for (const input of inputs) {
    const key = keyOf(input);
    if (seen.has(key)) throw new ApiError('validation_failed', `The pair ${input.notePath} x ${input.gatePath} under ${input.modelPartition} appears twice in one request`);
    seen.add(key);
  }
  const at = now.toISOString();
  for (let i = 0; i < inputs.length; i += 2000) {
    const chunk = inputs.slice(i, i + 2000);
    const col = (f: (e: AcceptanceInput) => string | number | null | undefined) => toArray(chunk.map((e) => f(e) ?? null));
    // One array per column rather than one parameter per value: a batch of
    // thousands of rows is a dozen parameters, which every driver (and
    // PGlite's parser) handles far faster than a VALUES list of tens of thousands.
    // One statement: the events are appended and each pair's current row
    // moves to its new event, where the upsert only applies if the stored
    // revision is still the one the writer saw. On a mismatch the caller
    // rolls back the events with it.
    const moved = rowsOf<{ note_path: string; gate_path: string; model_partition: string }>(await executeNamed(tx, sql`
      with event as (
        insert into acceptance_events (org_id, project_id, note_path, gate_path, model_partition, requested_partition, revision, kind,
          note_snapshot_id, gate_snapshot_id, note_sha256, gate_sha256, outcome, job_id, job_item_id, reason, provenance, source_key,
          actor_user_id, actor_token_id, created_at)
        select ${actor.member.orgId}, ${projectId}, u.note_path, u.gate_path, u.model_partition, u.requested, u.revision, u.kind::acceptance_kind,
          u.note_snapshot_id, u.gate_snapshot_id, u.note_sha256, u.gate_sha256, u.outcome::review_outcome, u.job_id, u.job_item_id, u.reason,
          u.provenance::jsonb, u.source_key, ${actor.member.userId}, ${actor.member.tokenId}, ${at}
        from unnest(${col((e) => e.notePath)}::text[], ${col((e) => e.gatePath)}::text[], ${col((e) => e.modelPartition)}::text[],
          ${col((e) => e.requestedPartition)}::text[], ${col((e) => (e.expectedRevision ?? 0) + 1)}::int[], ${col((e) => e.kind)}::text[],
          ${col((e) => e.noteSnapshotId)}::uuid[], ${col((e) => e.gateSnapshotId)}::uuid[], ${col((e) => e.noteSha256)}::text[], ${col((e) => e.gateSha256)}::text[],
          ${col((e) => e.outcome)}::text[], ${col((e) => e.jobId)}::uuid[], ${col((e) => e.jobItemId)}::uuid[], ${col((e) => e.reason)}::text[],
          ${col((e) => (e.provenance ? JSON.stringify(e.provenance) : null))}::text[], ${col((e) => e.sourceKey)}::text[]) with ordinality
          as u(note_path, gate_path, model_partition, requested, revision, kind, note_snapshot_id, gate_snapshot_id, note_sha256, gate_sha256,
               outcome, job_id, job_item_id, reason, provenance, source_key, ord)
        order by u.ord
        returning id, note_path, gate_path, model_partition, revision, kind, note_snapshot_id, gate_snapshot_id, note_sha256, gate_sha256, outcome
      )
      insert into acceptance_current as c (org_id, project_id, note_path, gate_path, model_partition, revision, event_id, kind,
        note_snapshot_id, gate_snapshot_id, note_sha256, gate_sha256, outcome, accepted_at)
      select ${actor.member.orgId}, ${projectId}, e.note_path, e.gate_path, e.model_partition, e.revision, e.id, e.kind,
        e.note_snapshot_id, e.gate_snapshot_id, e.note_sha256, e.gate_sha256, e.outcome, ${at}
      from event e
      on conflict (project_id, note_path, gate_path, model_partition) do update set
        revision = excluded.revision, event_id = excluded.event_id, kind = excluded.kind,
        note_snapshot_id = excluded.note_snapshot_id, gate_snapshot_id = excluded.gate_snapshot_id,
        note_sha256 = excluded.note_sha256, gate_sha256 = excluded.gate_sha256, outcome = excluded.outcome, accepted_at = excluded.accepted_at
      where c.revision = excluded.revision - 1
      returning note_path, gate_path, model_partition`));

    if (moved.length !== chunk.length) {
      const applied = new Set(moved.map((m) => keyOf({ notePath: m.note_path, gatePath: m.gate_path, modelPartition: m.model_partition })));
      const stale = chunk.filter((e) => !applied.has(keyOf(e)));
      throw await staleError(tx, projectId, stale);
    }
  }
  return { recorded: inputs.length };
}

async function staleError(tx: Tx, projectId: string, stale: AcceptanceInput[]): Promise<ApiError> {
  const current = await currentRevisions(tx, projectId, stale);
  const pairs: StaleRevision[] = stale.slice(0, 100).map((e) => ({
    notePath: e.notePath, gatePath: e.gatePath, modelPartition: e.modelPartition,
    expected: e.expectedRevision, actual: current.get(keyOf(e)) ?? null,
  }));
  return new ApiError('stale_baseline_revision', `${stale.length} pair(s) changed since the caller saw them; nothing was recorded`, {
    pairs: pairs.map((p) => ({ note_path: p.notePath, gate_path: p.gatePath, model_partition: p.modelPartition, expected_revision: p.expected, current_revision: p.actual })),
  });
}

/** Current revisions of some pairs, locked for the rest of the transaction. */
export async function currentRevisions(tx: Tx, projectId: string, keys: PairKey[]): Promise<Map<string, number>> {
  if (keys.length === 0) return new Map();
  const rows = rowsOf<{ note_path: string; gate_path: string; model_partition: string; revision: number }>(await tx.execute(sql`
    select c.note_path, c.gate_path, c.model_partition, c.revision
    from acceptance_current c
    join unnest(${toArray(keys.map((k) => k.notePath))}::text[], ${toArray(keys.map((k) => k.gatePath))}::text[], ${toArray(keys.map((k) => k.modelPartition))}::text[])
      as k(note_path, gate_path, model_partition)
      on c.note_path = k.note_path and c.gate_path = k.gate_path and c.model_partition = k.model_partition
    where c.project_id = ${projectId}
    for update of c`));
  return new Map(rows.map((r) => [keyOf({ notePath: r.note_path, gatePath: r.gate_path, modelPartition: r.model_partition }), r.revision]));
}

export function presentEvent(e: typeof acceptanceEvents.$inferSelect) {
  return {
    id: e.id,
    revision: e.revision,
    kind: e.kind,
    note_path: e.notePath,
    gate_path: e.gatePath,
    model_partition: e.modelPartition,
    requested_partition: e.requestedPartition,
    note_sha256: e.noteSha256,
    gate_sha256: e.gateSha256,
    outcome: e.outcome,
    job_id: e.jobId,
    job_item_id: e.jobItemId,
    reason: e.reason,
    provenance: e.provenance,
    actor_user_id: e.actorUserId,
    actor_token_id: e.actorTokenId,
    created_at: iso(e.createdAt),
  };
}

export async function pairHistory(ctx: TenantContext, slug: string, query: PairKey & { limit: number; cursor?: string }) {
  const before = decodeCursor(query.cursor, CursorInt);
  return inProject(ctx, slug, async (tx, project) => {
    const q = { ...query, modelPartition: (await resolvePartition(tx, ctx, project, query.modelPartition, 'read')).model_partition };
    const rows = await tx.select().from(acceptanceEvents).where(and(
      eq(acceptanceEvents.projectId, project.id),
      eq(acceptanceEvents.notePath, q.notePath),
      eq(acceptanceEvents.gatePath, q.gatePath),
      eq(acceptanceEvents.modelPartition, q.modelPartition),
      before !== undefined ? lt(acceptanceEvents.id, before) : undefined,
    )).orderBy(desc(acceptanceEvents.id)).limit(q.limit + 1);
    const [current] = await tx.select({ revision: acceptanceCurrent.revision, kind: acceptanceCurrent.kind }).from(acceptanceCurrent).where(and(
      eq(acceptanceCurrent.projectId, project.id), eq(acceptanceCurrent.notePath, q.notePath),
      eq(acceptanceCurrent.gatePath, q.gatePath), eq(acceptanceCurrent.modelPartition, q.modelPartition)));
    return {
      mode: 'history' as const,
      note_path: q.notePath,
      gate_path: q.gatePath,
      model_partition: q.modelPartition,
      revision: current?.revision ?? null,
      ...page(rows.map(presentEvent), q.limit, (e) => e.id),
    };
  });
}
