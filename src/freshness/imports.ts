// Imports: baselines accepted by another tool (a local Commonplace review
// store) recorded as `import` acceptances, so a team that already paid for
// those reviews does not pay again. One call is one batch and one
// transaction: every importable row of it is recorded, or none is.
//
// Re-running is safe: each baseline has a source key derived from what it is
// in its source (pair, partition, revision, texts, accepted time), and a row
// whose key the project already holds is skipped. An interrupted import
// resumes by simply running again.
import { sql } from 'drizzle-orm';
import { rowsOf, toArray, type Tx } from '../platform/db.js';
import { ApiError } from '../platform/errors.js';
import { recordAudit } from '../tenancy/audit.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';
import { type Resolution, resolvePartition } from '../registry/resolve.js';
import { type AcceptanceInput, recordAcceptance } from './acceptance.js';
import { findSnapshots, requireSnapshots, textKey } from './lookup.js';
import { sha256Hex } from './names.js';

export interface ImportBaseline {
  note_path: string;
  note_sha256: string;
  gate_path: string;
  gate_sha256: string;
  /** The partition to record under (after any renaming), resolved through the registry. */
  model_partition: string;
  /** The partition as the source named it. */
  source_partition: string;
  revision: number;
  outcome: 'pass' | 'warn' | 'fail' | null;
  result_kind: 'verdict' | 'report';
  accepted_at: string;
  job_id: string | null;
  runner: string | null;
  runner_model: string | null;
  runner_effort: string | null;
}

export interface ImportRequest {
  source: { kind: 'commonplace'; file_name: string; sha256: string };
  dry_run: boolean;
  baselines: ImportBaseline[];
}

export type SkipReason = 'already_imported' | 'already_accepted';
export type RefuseReason = 'pair_already_accepted';

export interface Refusal { index: number; note_path: string; gate_path: string; model_partition: string; reason: RefuseReason; detail: string }

/** The baseline's identity in its source; independent of renames and of which copy of the store is read. */
export async function sourceKey(source: ImportRequest['source'], b: ImportBaseline): Promise<string> {
  const identity = JSON.stringify([b.source_partition, b.note_path, b.gate_path, b.revision, b.note_sha256, b.gate_sha256, b.accepted_at]);
  return `${source.kind}:${await sha256Hex(new TextEncoder().encode(identity))}`;
}

interface LiveRow {
  note_path: string; gate_path: string; model_partition: string; revision: number; kind: string;
  note_sha256: string | null; gate_sha256: string | null; imported_at: string | null;
}

/** Current rows of the batch's pairs (locked), with the source time of those that are imports. */
async function lockLive(tx: Tx, projectId: string, keys: { note_path: string; gate_path: string; model_partition: string }[]) {
  if (keys.length === 0) return new Map<string, LiveRow>();
  // Right after a large import the table's statistics are stale (PGlite has
  // no autovacuum; PostgreSQL's comes later), and the planner then picks a
  // nested loop that rescans the project's rows once per key: seconds for a
  // few hundred keys. A hash join costs at most one pass over the project's
  // rows per batch, whatever the statistics say.
  await tx.execute(sql`set local enable_nestloop = off`);
  const rows = rowsOf<LiveRow>(await tx.execute(sql`
    select c.note_path, c.gate_path, c.model_partition, c.revision, c.kind, c.note_sha256, c.gate_sha256,
           -- Only imports need their source time: one lookup by primary key each.
           case when c.kind = 'import' then (select e.provenance->>'accepted_at' from acceptance_events e where e.id = c.event_id) end as imported_at
    from acceptance_current c
    join unnest(${toArray(keys.map((k) => k.note_path))}::text[], ${toArray(keys.map((k) => k.gate_path))}::text[], ${toArray(keys.map((k) => k.model_partition))}::text[])
      as k(note_path, gate_path, model_partition)
      on c.note_path = k.note_path and c.gate_path = k.gate_path and c.model_partition = k.model_partition
    where c.project_id = ${projectId}
    for update of c`));
  await tx.execute(sql`set local enable_nestloop = on`);
  return new Map(rows.map((r) => [liveKey(r), { ...r, revision: Number(r.revision) }]));
}

const liveKey = (k: { note_path: string; gate_path: string; model_partition: string }) => `${k.note_path}\u0000${k.gate_path}\u0000${k.model_partition}`;

/**
 * What a baseline meets in the project: nothing (record it), a retired pair
 * (record on top), an earlier import of the same pair (advance it), the same
 * texts already accepted (skip), or another acceptance made here, which an
 * import never overwrites (refuse).
 */
function judge(b: ImportBaseline, live: LiveRow | undefined): { record: true; expected: number | null } | { record: false; skip?: SkipReason; refuse?: string } {
  if (!live || live.kind === 'retire') return { record: true, expected: live?.revision ?? null };
  if (live.note_sha256 === b.note_sha256 && live.gate_sha256 === b.gate_sha256) return { record: false, skip: 'already_accepted' };
  if (live.kind === 'import' && live.imported_at && Date.parse(live.imported_at) < Date.parse(b.accepted_at)) {
    return { record: true, expected: live.revision };
  }
  return { record: false, refuse: `the pair already has a ${live.kind} acceptance here (revision ${live.revision}) with other texts; an import never overwrites it` };
}

export async function importBaselines(ctx: TenantContext, slug: string, req: ImportRequest) {
  return inProject(ctx, slug, async (tx, project) => {
    // Every partition goes through the registry, as for any other write; a dry run registers nothing.
    const resolutions = new Map<string, Resolution>();
    for (const name of new Set(req.baselines.map((b) => b.model_partition))) {
      resolutions.set(name, await resolvePartition(tx, ctx, project, name, req.dry_run ? 'read' : 'write'));
    }
    const rows = await Promise.all(req.baselines.map(async (b, index) => ({
      b: { ...b, model_partition: resolutions.get(b.model_partition)!.model_partition },
      requested: b.model_partition,
      index,
      key: await sourceKey(req.source, b),
    })));
    const dup = new Set<string>();
    for (const r of rows) {
      const k = liveKey(r.b);
      if (dup.has(k)) {
        throw new ApiError('validation_failed', 'Two baselines of one batch are the same pair under the same partition (check --partition-map); nothing was recorded', {
          errors: [{ path: `body.baselines.${r.index}`, message: `${r.b.note_path} x ${r.b.gate_path} under ${r.b.model_partition} appears twice` }],
        });
      }
      dup.add(k);
    }

    const held = new Set(rowsOf<{ source_key: string }>(await tx.execute(sql`
      select source_key from acceptance_events
      where project_id = ${project.id} and source_key = any(${toArray(rows.map((r) => r.key))}::text[])`)).map((r) => r.source_key));
    const fresh = rows.filter((r) => !held.has(r.key));

    const files = fresh.flatMap((r) => [{ path: r.b.note_path, sha256: r.b.note_sha256 }, { path: r.b.gate_path, sha256: r.b.gate_sha256 }]);
    // The same hash rule as every write: the texts must be on the server (a dry run only counts what is not).
    const texts = req.dry_run ? await findSnapshots(tx, project.id, files) : await requireSnapshots(tx, project.id, files);
    const textsMissing = req.dry_run ? new Set(files.filter((f) => !texts.has(textKey(f.path, f.sha256))).map((f) => textKey(f.path, f.sha256))).size : 0;

    const live = await lockLive(tx, project.id, fresh.map((r) => r.b));
    const reasons: Record<string, number> = { already_imported: rows.length - fresh.length, already_accepted: 0, pair_already_accepted: 0 };
    const refused: Refusal[] = [];
    const events: AcceptanceInput[] = [];
    for (const r of fresh) {
      const verdict = judge(r.b, live.get(liveKey(r.b)));
      if (!verdict.record) {
        if (verdict.skip) reasons[verdict.skip] += 1;
        else {
          reasons.pair_already_accepted += 1;
          refused.push({ index: r.index, note_path: r.b.note_path, gate_path: r.b.gate_path, model_partition: r.b.model_partition, reason: 'pair_already_accepted', detail: verdict.refuse! });
        }
        continue;
      }
      const b = r.b;
      events.push({
        notePath: b.note_path, gatePath: b.gate_path, modelPartition: b.model_partition, kind: 'import',
        requestedPartition: r.requested,
        noteSnapshotId: texts.get(textKey(b.note_path, b.note_sha256))?.id ?? null,
        gateSnapshotId: texts.get(textKey(b.gate_path, b.gate_sha256))?.id ?? null,
        noteSha256: b.note_sha256, gateSha256: b.gate_sha256,
        outcome: b.outcome,
        expectedRevision: verdict.expected,
        sourceKey: r.key,
        provenance: {
          source: req.source.kind, store_file: req.source.file_name, store_sha256: req.source.sha256,
          source_partition: b.source_partition, source_revision: b.revision, job_id: b.job_id,
          runner: b.runner, runner_model: b.runner_model, runner_effort: b.runner_effort,
          outcome: b.outcome, result_kind: b.result_kind, accepted_at: b.accepted_at,
        },
      });
    }
    if (!req.dry_run && events.length > 0) {
      await recordAcceptance(tx, ctx, project.id, events, ctx.now);
      await recordAudit(tx, ctx, {
        action: 'acceptance.import', targetType: 'project', targetId: project.id, projectId: project.id,
        after: {
          source: req.source, imported: events.length, skipped: reasons.already_imported + reasons.already_accepted, refused: refused.length,
          model_partitions: [...new Set(events.map((e) => e.modelPartition))],
        },
      });
    }
    return {
      dry_run: req.dry_run,
      model_partitions: [...resolutions.values()].map((x) => ({ requested: x.requested, model_partition: x.model_partition, resolved_by: x.resolved_by })),
      warnings: [...resolutions.values()].flatMap((x) => x.warnings),
      counts: { received: rows.length, imported: events.length, skipped: reasons.already_imported + reasons.already_accepted, refused: refused.length },
      reasons,
      refused,
      texts_missing: textsMissing,
    };
  });
}
