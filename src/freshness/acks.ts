// Acks: a person (or agent) states that a changed pair is still accepted,
// without a new review. Only pairs that already have an acceptance can be
// acked; every pair carries the revision its writer saw; all or nothing.
import { ApiError } from '../platform/errors.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';
import { resolvePartition } from '../registry/resolve.js';
import { type AcceptanceInput, recordAcceptance } from './acceptance.js';
import { lockCurrent, pairKey, requireSnapshots, textKey } from './lookup.js';

export interface AckPair {
  note_path: string;
  gate_path: string;
  note_sha256: string;
  gate_sha256: string;
  expected_revision: number;
  reason?: string;
}

export interface AckRequest {
  model_partition: string;
  reason?: string;
  pairs: AckPair[];
}

export async function ackPairs(ctx: TenantContext, slug: string, request: AckRequest) {
  return inProject(ctx, slug, async (tx, project) => {
    const resolution = await resolvePartition(tx, ctx, project, request.model_partition, 'write');
    const req = { ...request, model_partition: resolution.model_partition };
    const missingReason = req.pairs.findIndex((p) => !p.reason && !req.reason);
    if (missingReason >= 0) {
      throw new ApiError('validation_failed', 'Every ack needs a reason (per pair, or one for the request)', { errors: [{ path: `body.pairs.${missingReason}.reason`, message: 'required when the request has no reason' }] });
    }
    const texts = await requireSnapshots(tx, project.id, req.pairs.flatMap((p) => [
      { path: p.note_path, sha256: p.note_sha256 }, { path: p.gate_path, sha256: p.gate_sha256 },
    ]));
    const current = await lockCurrent(tx, project.id, req.model_partition, req.pairs);
    const unaccepted = req.pairs.filter((p) => {
      const row = current.get(pairKey(p.note_path, p.gate_path));
      return !row || row.kind === 'retire';
    });
    if (unaccepted.length > 0) {
      throw new ApiError('validation_failed', `${unaccepted.length} pair(s) have no acceptance to ack; review them instead`, {
        errors: unaccepted.slice(0, 100).map((p) => ({ path: 'body.pairs', message: `${p.note_path} x ${p.gate_path} has no acceptance under ${req.model_partition}` })),
      });
    }
    const events: AcceptanceInput[] = req.pairs.map((p) => ({
      notePath: p.note_path,
      gatePath: p.gate_path,
      modelPartition: req.model_partition,
      kind: 'ack',
      noteSnapshotId: texts.get(textKey(p.note_path, p.note_sha256))!.id,
      gateSnapshotId: texts.get(textKey(p.gate_path, p.gate_sha256))!.id,
      noteSha256: p.note_sha256,
      gateSha256: p.gate_sha256,
      outcome: current.get(pairKey(p.note_path, p.gate_path))!.outcome,
      expectedRevision: p.expected_revision,
      reason: p.reason ?? req.reason ?? null,
      requestedPartition: request.model_partition,
    }));
    await recordAcceptance(tx, ctx, project.id, events, ctx.now);
    return {
      model_partition: req.model_partition,
      warnings: resolution.warnings,
      acked: req.pairs.map((p) => ({ note_path: p.note_path, gate_path: p.gate_path, revision: p.expected_revision + 1 })),
    };
  });
}
