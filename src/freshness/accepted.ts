// Every pair accepted now under a partition, checked against the texts a
// client has on disk: what `gatehouse status --accepted` asks (as
// Commonplace's freshness-status does). The client names each path's hash
// once, not each pair's: a few hundred files instead of tens of thousands of
// pairs each way. Paths it did not name come back as `absent_paths`, so a
// first call with no files tells it which files to read.
import { sql } from 'drizzle-orm';
import { rowsOf } from '../platform/db.js';
import { resolvePartition } from '../registry/resolve.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';
import type { Reason, SelectedPair } from './select.js';
import type { ManifestItem } from './snapshots.js';

export async function acceptedFreshness(ctx: TenantContext, slug: string, req: { model_partition: string; files: ManifestItem[] }) {
  return inProject(ctx, slug, async (tx, project) => {
    const resolution = await resolvePartition(tx, ctx, project, req.model_partition, 'read');
    // The project's live rows for the partition, one index range; matched in
    // memory against the client's files (no join whose plan depends on how
    // fresh the table's statistics are).
    const live = rowsOf<{ note_path: string; gate_path: string; note_sha256: string; gate_sha256: string; revision: number }>(await tx.execute(sql`
      select note_path, gate_path, note_sha256, gate_sha256, revision
      from acceptance_current
      where project_id = ${project.id} and model_partition = ${resolution.model_partition} and kind <> 'retire'`));
    const files = new Map(req.files.map((f) => [f.path, f.sha256]));
    const absent = new Set<string>();
    const reasons: Record<Reason, number> = { never_reviewed: 0, note_changed: 0, gate_changed: 0, both_changed: 0 };
    const pairs: SelectedPair[] = [];
    let checked = 0;
    for (const row of live) {
      const note = files.get(row.note_path);
      const gate = files.get(row.gate_path);
      if (note === undefined) absent.add(row.note_path);
      if (gate === undefined) absent.add(row.gate_path);
      if (note === undefined || gate === undefined) continue;
      checked += 1;
      const noteChanged = note !== row.note_sha256;
      const gateChanged = gate !== row.gate_sha256;
      if (!noteChanged && !gateChanged) continue;
      const reason: Reason = noteChanged && gateChanged ? 'both_changed' : noteChanged ? 'note_changed' : 'gate_changed';
      reasons[reason] += 1;
      pairs.push({
        note_path: row.note_path, gate_path: row.gate_path, status: 'stale', reason, note_sha256: note, gate_sha256: gate,
        accepted_note_sha256: row.note_sha256, accepted_gate_sha256: row.gate_sha256, revision: Number(row.revision),
      });
    }
    pairs.sort((a, b) => (a.note_path < b.note_path ? -1 : a.note_path > b.note_path ? 1 : a.gate_path < b.gate_path ? -1 : a.gate_path > b.gate_path ? 1 : 0));
    return {
      model_partition: resolution.model_partition,
      requested_partition: req.model_partition,
      warnings: resolution.warnings,
      counts: { fresh: checked - pairs.length, stale: pairs.length, missing: 0, total: checked },
      reasons,
      pairs,
      absent_paths: [...absent].sort(),
      unchecked: live.length - checked,
    };
  });
}
