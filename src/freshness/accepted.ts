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
    // The client's files go in as one JSON object (path -> sha256) and each
    // live row looks its two paths up in it: no join, so no plan that
    // depends on how fresh the table's statistics are (stale right after a
    // bulk import), and only the rows that are not fresh come back.
    const files = JSON.stringify(Object.fromEntries(req.files.map((f) => [f.path, f.sha256])));
    const live = sql`from acceptance_current c, (select ${files}::jsonb as m) f
      where c.project_id = ${project.id} and c.model_partition = ${resolution.model_partition} and c.kind <> 'retire'`;
    const [{ total, checked }] = rowsOf<{ total: number; checked: number }>(await tx.execute(sql`
      select count(*)::int as total, (count(*) filter (where f.m ? c.note_path and f.m ? c.gate_path))::int as checked ${live}`));
    const absent = rowsOf<{ path: string }>(await tx.execute(sql`
      select path from (
        select c.note_path as path ${live} and not f.m ? c.note_path
        union select c.gate_path ${live} and not f.m ? c.gate_path) u
      order by path collate "C"`)).map((r) => r.path);
    const changed = rowsOf<{ note_path: string; gate_path: string; note_sha256: string; gate_sha256: string; revision: number; note_now: string; gate_now: string }>(await tx.execute(sql`
      select c.note_path, c.gate_path, c.note_sha256, c.gate_sha256, c.revision, f.m->>c.note_path as note_now, f.m->>c.gate_path as gate_now ${live}
        and f.m ? c.note_path and f.m ? c.gate_path
        and (f.m->>c.note_path <> c.note_sha256 or f.m->>c.gate_path <> c.gate_sha256)`));
    const reasons: Record<Reason, number> = { never_reviewed: 0, note_changed: 0, gate_changed: 0, both_changed: 0 };
    const pairs: SelectedPair[] = changed.map((row) => {
      const noteChanged = row.note_now !== row.note_sha256;
      const gateChanged = row.gate_now !== row.gate_sha256;
      const reason: Reason = noteChanged && gateChanged ? 'both_changed' : noteChanged ? 'note_changed' : 'gate_changed';
      reasons[reason] += 1;
      return {
        note_path: row.note_path, gate_path: row.gate_path, status: 'stale' as const, reason, note_sha256: row.note_now, gate_sha256: row.gate_now,
        accepted_note_sha256: row.note_sha256, accepted_gate_sha256: row.gate_sha256, revision: Number(row.revision),
      };
    });
    pairs.sort((a, b) => (a.note_path < b.note_path ? -1 : a.note_path > b.note_path ? 1 : a.gate_path < b.gate_path ? -1 : a.gate_path > b.gate_path ? 1 : 0));
    return {
      model_partition: resolution.model_partition,
      requested_partition: req.model_partition,
      warnings: resolution.warnings,
      counts: { fresh: checked - pairs.length, stale: pairs.length, missing: 0, total: checked },
      reasons,
      pairs,
      absent_paths: absent,
      unchecked: total - checked,
    };
  });
}
