// One note, or one note x gate pair, under a partition: what the drill-down
// pages show. Status comes from the API's select over the current files
// (files.ts); history, diff and artifact from the same functions as the API.
import { sql } from 'drizzle-orm';
import { pairHistory } from '../../freshness/acceptance.js';
import { diffPair } from '../../freshness/diff.js';
import { selectFreshness } from '../../freshness/select.js';
import { getArtifact } from '../../execution/jobs.js';
import { rowsOf } from '../../platform/db.js';
import { notFound } from '../../platform/errors.js';
import { resolvePartition } from '../../registry/resolve.js';
import type { TenantContext } from '../../tenancy/context.js';
import { inProject } from '../../tenancy/projects.js';
import { currentFiles } from './files.js';

/** Which paths a heatmap cell link named, if the files are still those it was drawn from. */
export async function cellPaths(ctx: TenantContext, slug: string, version: string, n: number, g: number | null) {
  return inProject(ctx, slug, async (tx, project) => {
    const files = await currentFiles(tx, project.id);
    if (files.version !== version) return null;
    const note = files.notes[n]?.path;
    const gate = g === null ? null : files.gates[g]?.path;
    if (!note || gate === undefined) return null;
    return { note, gate };
  });
}

/** Every gate's status for one note, with the last outcome where there is one. */
export async function noteView(ctx: TenantContext, slug: string, partition: string, notePath: string) {
  return inProject(ctx, slug, async (tx, project) => {
    const resolved = (await resolvePartition(tx, ctx, project, partition, 'read')).model_partition;
    const files = await currentFiles(tx, project.id);
    const note = files.notes.find((x) => x.path === notePath);
    if (!note) throw notFound(`Note ${notePath}`);
    const result = await selectFreshness(tx, project.id, { modelPartition: resolved, notes: [note], gates: files.gates, includeFresh: true });
    const outcomes = new Map(rowsOf<{ gate_path: string; outcome: string | null }>(await tx.execute(sql`
      select gate_path, outcome from acceptance_current
      where project_id = ${project.id} and model_partition = ${resolved} and note_path = ${notePath} and kind <> 'retire'`)).map((r) => [r.gate_path, r.outcome]));
    return { partition: resolved, note, counts: result.counts, pairs: result.pairs.map((p) => ({ ...p, outcome: outcomes.get(p.gate_path) ?? null })) };
  });
}

export async function pairView(ctx: TenantContext, slug: string, partition: string, notePath: string, gatePath: string) {
  const state = await inProject(ctx, slug, async (tx, project) => {
    const resolved = (await resolvePartition(tx, ctx, project, partition, 'read')).model_partition;
    const files = await currentFiles(tx, project.id);
    const note = files.notes.find((x) => x.path === notePath);
    const gate = files.gates.find((x) => x.path === gatePath);
    if (!note || !gate) throw notFound(`The pair ${notePath} x ${gatePath}`);
    const result = await selectFreshness(tx, project.id, { modelPartition: resolved, notes: [note], gates: [gate], includeFresh: true });
    const [latest] = rowsOf<{ job_id: string; item_id: string }>(await tx.execute(sql`
      select i.job_id, i.id as item_id from review_job_items i
      where i.project_id = ${project.id} and i.note_path = ${notePath} and i.gate_path = ${gatePath}
        and i.model_partition = ${resolved} and i.artifact is not null
      order by i.completed_at desc nulls last, i.created_at desc limit 1`));
    return { resolved, note, gate, pair: result.pairs[0], latest };
  });
  const history = await pairHistory(ctx, slug, { notePath, gatePath, modelPartition: state.resolved, limit: 50 });
  const diff = state.pair.status === 'stale'
    ? await diffPair(ctx, slug, { note_path: notePath, gate_path: gatePath, model_partition: state.resolved, note_sha256: state.note.sha256, gate_sha256: state.gate.sha256 })
    : null;
  const artifact = state.latest ? await getArtifact(ctx, state.latest.job_id, state.latest.item_id) : null;
  return { partition: state.resolved, pair: state.pair, history, diff, artifact };
}
