// Diff: what changed between the accepted texts of a pair and the given
// current ones, as unified diffs. A text garbage-collected since is reported
// as gone; its hash still compares.
import { createTwoFilesPatch } from 'diff';
import { and, eq } from 'drizzle-orm';
import { acceptanceCurrent, acceptanceEvents } from '../../drizzle/schema.js';
import { notFound } from '../platform/errors.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';
import { resolvePartition } from '../registry/resolve.js';
import { bodiesById, findSnapshots, textKey } from './lookup.js';

export interface DiffQuery {
  note_path: string;
  gate_path: string;
  model_partition: string;
  note_sha256: string;
  gate_sha256: string;
  /** Compare against this past acceptance event instead of the current one. */
  event_id?: number;
}

function partDiff(path: string, acceptedSha: string | null, acceptedText: string | undefined, currentSha: string, currentText: string | undefined) {
  const changed = acceptedSha !== currentSha;
  return {
    path,
    accepted_sha256: acceptedSha,
    current_sha256: currentSha,
    changed,
    accepted_text_available: acceptedText !== undefined,
    current_text_available: currentText !== undefined,
    diff: changed && acceptedText !== undefined && currentText !== undefined
      ? createTwoFilesPatch(`a/${path}`, `b/${path}`, acceptedText, currentText, `accepted ${acceptedSha?.slice(0, 12)}`, `current ${currentSha.slice(0, 12)}`)
      : null,
  };
}

export async function diffPair(ctx: TenantContext, slug: string, query: DiffQuery) {
  return inProject(ctx, slug, async (tx, project) => {
    const q = { ...query, model_partition: (await resolvePartition(tx, ctx, project, query.model_partition, 'read')).model_partition };
    const pair = and(
      eq(acceptanceEvents.projectId, project.id), eq(acceptanceEvents.notePath, q.note_path),
      eq(acceptanceEvents.gatePath, q.gate_path), eq(acceptanceEvents.modelPartition, q.model_partition));
    let accepted: { revision: number; kind: string; noteSnapshotId: string | null; gateSnapshotId: string | null; noteSha256: string | null; gateSha256: string | null; eventId: number } | undefined;
    if (q.event_id !== undefined) {
      const [event] = await tx.select().from(acceptanceEvents).where(and(pair, eq(acceptanceEvents.id, q.event_id)));
      if (!event) throw notFound(`Acceptance event ${q.event_id} of this pair`);
      accepted = { ...event, eventId: event.id };
    } else {
      const [row] = await tx.select().from(acceptanceCurrent).where(and(
        eq(acceptanceCurrent.projectId, project.id), eq(acceptanceCurrent.notePath, q.note_path),
        eq(acceptanceCurrent.gatePath, q.gate_path), eq(acceptanceCurrent.modelPartition, q.model_partition)));
      accepted = row ? { ...row } : undefined;
    }
    const live = accepted && accepted.kind !== 'retire' ? accepted : undefined;
    const bodies = await bodiesById(tx, project.id, [live?.noteSnapshotId, live?.gateSnapshotId].filter((x): x is string => !!x));
    const current = await findSnapshots(tx, project.id, [{ path: q.note_path, sha256: q.note_sha256 }, { path: q.gate_path, sha256: q.gate_sha256 }], true);
    const note = partDiff(q.note_path, live?.noteSha256 ?? null, live?.noteSnapshotId ? bodies.get(live.noteSnapshotId) : undefined,
      q.note_sha256, current.get(textKey(q.note_path, q.note_sha256))?.body ?? undefined);
    const gate = partDiff(q.gate_path, live?.gateSha256 ?? null, live?.gateSnapshotId ? bodies.get(live.gateSnapshotId) : undefined,
      q.gate_sha256, current.get(textKey(q.gate_path, q.gate_sha256))?.body ?? undefined);
    const status = !live ? 'missing' : note.changed || gate.changed ? 'stale' : 'fresh';
    const reason = !live ? 'never_reviewed' : note.changed && gate.changed ? 'both_changed' : note.changed ? 'note_changed' : gate.changed ? 'gate_changed' : null;
    return {
      note_path: q.note_path,
      gate_path: q.gate_path,
      model_partition: q.model_partition,
      status,
      reason,
      revision: accepted?.revision ?? null,
      event_id: q.event_id ?? null,
      note,
      gate,
    };
  });
}
