// The current acceptances of a project, listed: every pair that is accepted
// now (retired ones are not), for `status --accepted` and for finding files
// that disappeared.
import { z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../platform/db.js';
import { CursorText, decodeCursor, iso, jsonCursor, page } from '../platform/schemas.js';
import { resolvePartition } from '../registry/resolve.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';

export interface CurrentQuery {
  model_partition?: string;
  note_path?: string;
  gate_path?: string;
  path_prefix?: string;
  limit: number;
  cursor?: string;
}

/**
 * Keyset pagination on the primary key order (note, gate, partition), so a
 * page is one index range scan however deep the listing goes.
 */
export async function listCurrent(ctx: TenantContext, slug: string, q: CurrentQuery) {
  const after = decodeCursor(q.cursor, jsonCursor(z.tuple([CursorText, CursorText, CursorText])));
  return inProject(ctx, slug, async (tx, project) => {
    const partition = q.model_partition ? (await resolvePartition(tx, ctx, project, q.model_partition, 'read')).model_partition : null;
    const [n, g, m] = after ?? [null, null, null];
    const rows = rowsOf<{ note_path: string; gate_path: string; model_partition: string; revision: number; kind: string; note_sha256: string; gate_sha256: string; outcome: string | null; accepted_at: string }>(await tx.execute(sql`
      select note_path, gate_path, model_partition, revision, kind, note_sha256, gate_sha256, outcome, accepted_at
      from acceptance_current
      where project_id = ${project.id} and kind <> 'retire'
        ${partition ? sql`and model_partition = ${partition}` : sql``}
        ${q.note_path ? sql`and note_path = ${q.note_path}` : sql``}
        ${q.gate_path ? sql`and gate_path = ${q.gate_path}` : sql``}
        ${q.path_prefix ? sql`and (starts_with(note_path, ${q.path_prefix}) or starts_with(gate_path, ${q.path_prefix}))` : sql``}
        ${after ? sql`and (note_path, gate_path, model_partition) > (${n}, ${g}, ${m})` : sql``}
      order by note_path, gate_path, model_partition
      limit ${q.limit + 1}`));
    const { items, next_cursor } = page(rows, q.limit, (r) => JSON.stringify([r.note_path, r.gate_path, r.model_partition]));
    return {
      mode: 'current' as const,
      model_partition: partition,
      items: items.map((r) => ({ ...r, revision: Number(r.revision), accepted_at: iso(r.accepted_at) })),
      next_cursor,
    };
  });
}
