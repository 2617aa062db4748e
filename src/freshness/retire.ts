// Retire: a note or gate was deleted or moved. Its pairs' current
// acceptance ends under every partition (a `retire` event each), so their
// snapshots become collectable. Retiring what is already retired adds nothing.
import { sql } from 'drizzle-orm';
import { rowsOf, toArray } from '../platform/db.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';
import { type AcceptanceInput, recordAcceptance } from './acceptance.js';

export async function retirePaths(ctx: TenantContext, slug: string, req: { paths: string[]; reason?: string }) {
  return inProject(ctx, slug, async (tx, project) => {
    // Live acceptances that involve any of the paths, as note or as gate, locked.
    const rows = rowsOf<{ note_path: string; gate_path: string; model_partition: string; revision: number }>(await tx.execute(sql`
      select c.note_path, c.gate_path, c.model_partition, c.revision
      from acceptance_current c
      where c.project_id = ${project.id} and c.kind <> 'retire'
        and (c.note_path = any(${toArray(req.paths)}::text[]) or c.gate_path = any(${toArray(req.paths)}::text[]))
      order by c.note_path, c.gate_path, c.model_partition
      for update`));
    const events: AcceptanceInput[] = rows.map((r) => ({
      notePath: r.note_path,
      gatePath: r.gate_path,
      modelPartition: r.model_partition,
      kind: 'retire',
      noteSnapshotId: null,
      gateSnapshotId: null,
      noteSha256: null,
      gateSha256: null,
      outcome: null,
      expectedRevision: Number(r.revision),
      reason: req.reason ?? null,
    }));
    await recordAcceptance(tx, ctx, project.id, events, ctx.now);
    return {
      retired: rows.map((r) => ({ note_path: r.note_path, gate_path: r.gate_path, model_partition: r.model_partition, revision: Number(r.revision) + 1 })),
      paths: req.paths,
    };
  });
}
