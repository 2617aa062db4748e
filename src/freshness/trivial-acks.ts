// Bulk ack of trivial changes: among the stale pairs of a select, those
// where only the note changed and the change touches nothing the gate
// watches. `dry_run` lists them; otherwise exactly those are acked.
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';
import { resolvePartition } from '../registry/resolve.js';
import { type AcceptanceInput, recordAcceptance } from './acceptance.js';
import { bodiesById, findSnapshots, lockCurrent, pairKey, textKey } from './lookup.js';
import { checkSelectSize, selectFreshness, type SelectInput } from './select.js';
import { classifyNoteChange, gateWatches } from './trivial.js';
import type { Limits } from '../platform/config.js';

export interface TrivialAckRequest extends SelectInput {
  dryRun: boolean;
  reason?: string;
}

interface Judged {
  note_path: string;
  gate_path: string;
  revision: number | null;
  note_sha256: string;
  gate_sha256: string;
  changed?: string[];
  watches?: string[] | 'all';
  reason?: string;
  detail?: string;
}

export async function ackTrivialChanges(ctx: TenantContext, slug: string, request: TrivialAckRequest, limits: Limits) {
  checkSelectSize(request, limits);
  return inProject(ctx, slug, async (tx, project) => {
    const resolution = await resolvePartition(tx, ctx, project, request.modelPartition, request.dryRun ? 'read' : 'write');
    const req = { ...request, modelPartition: resolution.model_partition };
    const selected = await selectFreshness(tx, project.id, { ...req, statuses: ['stale'], reasons: undefined, includeFresh: false });
    const stale = selected.pairs;
    const current = await lockCurrent(tx, project.id, req.modelPartition, stale);
    const currentNotes = await findSnapshots(tx, project.id, stale.map((p) => ({ path: p.note_path, sha256: p.note_sha256 })), true);
    const acceptedBodies = await bodiesById(tx, project.id, [...current.values()].flatMap((c) => [c.note_snapshot_id, c.gate_snapshot_id].filter((x): x is string => !!x)));
    const watchesByGate = new Map<string, ReturnType<typeof gateWatches>>();

    const qualifying: Judged[] = [];
    const other: Judged[] = [];
    for (const pair of stale) {
      const base = { note_path: pair.note_path, gate_path: pair.gate_path, revision: pair.revision, note_sha256: pair.note_sha256, gate_sha256: pair.gate_sha256 };
      if (pair.reason !== 'note_changed') {
        other.push({ ...base, reason: pair.reason ?? 'not_stale' });
        continue;
      }
      const row = current.get(pairKey(pair.note_path, pair.gate_path));
      const acceptedNote = row?.note_snapshot_id ? acceptedBodies.get(row.note_snapshot_id) : undefined;
      const gateText = row?.gate_snapshot_id ? acceptedBodies.get(row.gate_snapshot_id) : undefined;
      const currentNote = currentNotes.get(textKey(pair.note_path, pair.note_sha256))?.body ?? undefined;
      if (!row || row.revision !== pair.revision) { other.push({ ...base, reason: 'changed_concurrently' }); continue; }
      if (acceptedNote === undefined || gateText === undefined) { other.push({ ...base, reason: 'accepted_text_collected' }); continue; }
      if (currentNote === undefined) { other.push({ ...base, reason: 'current_text_missing' }); continue; }
      if (!watchesByGate.has(pair.gate_path)) watchesByGate.set(pair.gate_path, gateWatches(gateText));
      const watches = watchesByGate.get(pair.gate_path)!;
      const verdict = classifyNoteChange(acceptedNote, currentNote, watches);
      if (verdict.trivial) qualifying.push({ ...base, changed: verdict.changed, watches: watches ?? 'all' });
      else if (verdict.reason === 'unparseable_note') other.push({ ...base, reason: verdict.reason, detail: verdict.detail });
      else other.push({ ...base, reason: verdict.reason, changed: verdict.changed, watches: verdict.watched });
    }

    if (!req.dryRun && qualifying.length > 0) {
      const events: AcceptanceInput[] = qualifying.map((q) => {
        const row = current.get(pairKey(q.note_path, q.gate_path))!;
        return {
          notePath: q.note_path,
          gatePath: q.gate_path,
          modelPartition: req.modelPartition,
          kind: 'ack',
          noteSnapshotId: currentNotes.get(textKey(q.note_path, q.note_sha256))!.id,
          gateSnapshotId: row.gate_snapshot_id,
          noteSha256: q.note_sha256,
          gateSha256: q.gate_sha256,
          outcome: row.outcome,
          expectedRevision: q.revision,
          // Without a reason from the caller, the ack records what changed.
          requestedPartition: request.modelPartition,
          reason: req.reason ?? `trivial change: ${q.changed!.join(', ') || 'none'} not watched by the gate`,
        };
      });
      await recordAcceptance(tx, ctx, project.id, events, ctx.now);
    }
    return {
      model_partition: req.modelPartition,
      warnings: resolution.warnings,
      dry_run: req.dryRun,
      acked: req.dryRun ? 0 : qualifying.length,
      qualifying: qualifying.map((q) => ({ ...q, revision: req.dryRun ? q.revision : (q.revision ?? 0) + 1 })),
      not_qualifying: other,
      counts: selected.counts,
    };
  });
}
