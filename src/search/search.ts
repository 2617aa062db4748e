// Hybrid search over review artifacts and notes: a full-text ranking and a
// vector ranking, fused with reciprocal rank fusion, in one statement.
import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Tx } from '../platform/db.js';
import { ApiError } from '../platform/errors.js';
import { resolvePartition } from '../registry/resolve.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject, type ProjectRow } from '../tenancy/projects.js';
import { drainIfRecent, projectModel } from './embed-queue.js';
import type { Embedder } from './embedder.js';
import { headlineSql, splitHeadline } from './snippet.js';

export interface SearchRequest {
  query: string;
  k: number;
  mode: 'hybrid' | 'text' | 'vector';
  subject?: 'snapshot' | 'job_item';
  gate_path?: string;
  outcome?: 'pass' | 'warn' | 'fail' | 'error';
  partition?: string;
  path_prefix?: string;
}

/** Reciprocal rank fusion's constant: 60, as in the original paper. */
const RRF_K = 60;
const SUPPORTED_DIMS = new Set([384, 768, 1024, 1536]);

/**
 * Candidates of each kind that pass the filters. Notes have no gate,
 * outcome or partition, so those filters leave only review artifacts.
 */
function candidates(projectId: string, req: SearchRequest, partition: string | null): { items: SQL | null; notes: SQL | null } {
  const itemFilters = sql.join([
    sql`i.project_id = ${projectId}`, sql`i.artifact is not null`,
    ...(req.gate_path ? [sql`i.gate_path = ${req.gate_path}`] : []),
    ...(req.outcome ? [sql`i.outcome = ${req.outcome}`] : []),
    ...(partition ? [sql`i.model_partition = ${partition}`] : []),
    ...(req.path_prefix ? [sql`starts_with(i.note_path, ${req.path_prefix})`] : []),
  ], sql` and `);
  const noteOnlyFilterUsed = Boolean(req.gate_path || req.outcome || partition);
  const noteFilters = sql.join([
    sql`s.project_id = ${projectId}`,
    sql`exists (select 1 from acceptance_current c where c.note_snapshot_id = s.id)`,
    ...(req.path_prefix ? [sql`starts_with(s.path, ${req.path_prefix})`] : []),
  ], sql` and `);
  return {
    items: req.subject === 'snapshot' ? null : itemFilters,
    notes: req.subject === 'job_item' || noteOnlyFilterUsed ? null : noteFilters,
  };
}

/**
 * How many nearest neighbours the vector ranking takes from the HNSW index
 * before its filters: search() sets hnsw.ef_search to this too. At least
 * EF_SEARCH_MIN, and 4k for large k (pgvector's ceiling is 1000). 200 with
 * the m=24/ef_construction=128 index: recall@10 0.973-0.976 on 100,000
 * embedder vectors of corpus text, where 150 gives 0.953-0.959, too close to
 * 0.95 (BENCHMARKS.md, Search).
 */
export const EF_SEARCH_MIN = 200;
export const vectorCandidates = (k: number) => Math.min(1000, Math.max(EF_SEARCH_MIN, k * 4));

/**
 * One statement. `text_hits`: websearch_to_tsquery against the GIN-indexed
 * tsvectors, best `depth` by ts_rank_cd. `vector_hits`: cosine distance
 * through the partial HNSW index for the project's dimension, best `depth`.
 * Each list is ranked, the two are full-joined and scored 1/(60 + rank) per
 * list.
 *
 * The vector ranking is shaped in two steps on purpose. The inner subquery is
 * only the index's own question (this project's vectors of this model,
 * ORDER BY the indexed expression, LIMIT `nearest`), so the HNSW scan
 * serves it; the subject filter (visibility and the request's filters) is
 * applied to those candidates afterwards. With the filter inside the index
 * scan, the planner cannot turn its OR of EXISTS into a join and hashes every
 * note and acceptance of the project on each call (about 115 ms at 100,000
 * vectors, against 3 ms this way; BENCHMARKS.md, Search).
 *
 * The trade-off of filtering afterwards: if fewer than k of the `nearest`
 * vectors pass the filters (say, a narrow gate filter, or many notes
 * no acceptance uses any more), the vector list is short; the text list is
 * unaffected. Other projects' vectors in the shared index do not starve a
 * project: search() turns on pgvector's iterative scan, which keeps reading
 * the graph until `nearest` rows of this project and model are found.
 */
function hybridStatement(projectId: string, req: SearchRequest, partition: string | null, model: string, dims: number, vector: number[] | null,
  nearest = vectorCandidates(req.k)): SQL {
  const { items, notes } = candidates(projectId, req, partition);
  const depth = Math.max(req.k * 4, 40);
  const q = sql`websearch_to_tsquery('english', ${req.query})`;
  const textParts: SQL[] = [];
  if (items) textParts.push(sql`select 'job_item'::text as kind, i.id, ts_rank_cd(i.artifact_tsv, ${q}) as rank from review_job_items i where ${items} and i.artifact_tsv @@ ${q}`);
  if (notes) textParts.push(sql`select 'snapshot'::text as kind, s.id, ts_rank_cd(s.body_tsv, ${q}) as rank from snapshots s where ${notes} and s.body_tsv @@ ${q}`);
  const useText = req.mode !== 'vector' && textParts.length > 0;
  const useVector = req.mode !== 'text' && vector !== null && (items || notes);
  const cast = sql.raw(`vector(${dims})`);
  const qv = vector ? sql`${`[${vector.join(',')}]`}::${cast}` : sql`null`;
  const subjectOk = sql.join([
    ...(items ? [sql`(n.kind = 'job_item' and exists (select 1 from review_job_items i where i.id = n.id and ${items}))`] : []),
    ...(notes ? [sql`(n.kind = 'snapshot' and exists (select 1 from snapshots s where s.id = n.id and ${notes}))`] : []),
  ], sql` or `);
  return sql`
    with text_hits as (
      ${useText ? sql`select kind, id, row_number() over (order by rank desc, id) as r from (
        select * from (${sql.join(textParts, sql` union all `)}) u order by rank desc limit ${depth}) t` : sql`select null::text as kind, null::uuid as id, null::bigint as r where false`}
    ),
    vector_hits as (
      ${useVector ? sql`select kind, id, row_number() over (order by dist, id) as r from (
        select n.kind, n.id, n.dist
        from (select e.subject_kind::text as kind, e.subject_id as id, (e.embedding::${cast}) <=> ${qv} as dist
              from embeddings e
              where e.project_id = ${projectId} and e.dims = ${dims} and e.model = ${model}
              order by (e.embedding::${cast}) <=> ${qv}
              limit ${nearest}) n
        where ${subjectOk}
        order by n.dist
        limit ${depth}) v` : sql`select null::text as kind, null::uuid as id, null::bigint as r where false`}
    )
    select coalesce(t.kind, v.kind) as kind, coalesce(t.id, v.id) as id, t.r as text_rank, v.r as vector_rank,
           coalesce(1.0 / (${RRF_K} + t.r), 0) + coalesce(1.0 / (${RRF_K} + v.r), 0) as score
    from text_hits t full join vector_hits v on t.kind = v.kind and t.id = v.id
    order by score desc, id
    limit ${req.k}`;
}

/**
 * The index scan's settings for one search, transaction-local: as many
 * candidates as the statement takes (EF_SEARCH_MIN chosen in BENCHMARKS.md,
 * Search), and the iterative scan so that other projects' vectors in the
 * shared index cannot use up the candidates (relaxed order: the statement
 * sorts the candidates again; iterative scans need pgvector 0.8 or later).
 * `nearest` is for the benchmark's sweep.
 */
export function hnswSettings(k: number, nearest = vectorCandidates(k)): SQL {
  return sql`select set_config('hnsw.ef_search', ${String(nearest)}, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`;
}

async function describeHits(tx: Tx, query: string, hits: { kind: string; id: string; text_rank: number | null; vector_rank: number | null; score: number }[]) {
  if (hits.length === 0) return [];
  const ids = (kind: string) => hits.filter((h) => h.kind === kind).map((h) => h.id);
  const q = sql`websearch_to_tsquery('english', ${query})`;
  const headline = (col: SQL) => headlineSql(col, q);
  const itemRows = ids('job_item').length ? rowsOf<Record<string, string>>(await tx.execute(sql`
    select i.id, i.note_path, i.gate_path, i.model_partition, i.outcome, i.job_id, ${headline(sql`i.artifact`)} as snippet
    from review_job_items i where i.id in (${sql.join(ids('job_item').map((id) => sql`${id}::uuid`), sql`, `)})`)) : [];
  const noteRows = ids('snapshot').length ? rowsOf<Record<string, string>>(await tx.execute(sql`
    select s.id, s.path as note_path, s.sha256, ${headline(sql`s.body`)} as snippet
    from snapshots s where s.id in (${sql.join(ids('snapshot').map((id) => sql`${id}::uuid`), sql`, `)})`)) : [];
  const byId = new Map([...itemRows, ...noteRows].map((r) => [r.id, r]));
  return hits.map((h) => {
    const row = byId.get(h.id) ?? {};
    return {
      subject: { kind: h.kind, id: h.id },
      note_path: row.note_path ?? null,
      gate_path: row.gate_path ?? null,
      model_partition: row.model_partition ?? null,
      outcome: row.outcome ?? null,
      job_id: row.job_id ?? null,
      ...splitHeadline(row.snippet ?? ''),
      text_rank: h.text_rank === null ? null : Number(h.text_rank),
      vector_rank: h.vector_rank === null ? null : Number(h.vector_rank),
      score: Number(h.score),
    };
  });
}

export async function search(ctx: TenantContext, slug: string, req: SearchRequest, embedder: Embedder) {
  return inProject(ctx, slug, async (tx, project: ProjectRow) => {
    const partition = req.partition ? (await resolvePartition(tx, ctx, project, req.partition, 'read')).model_partition : null;
    const { model, dims } = projectModel(project, embedder);
    if (!SUPPORTED_DIMS.has(dims)) throw new ApiError('validation_failed', `The project's embedding dimension ${dims} is not supported`);
    const canEmbedQuery = model === embedder.model;
    if (req.mode === 'vector' && !canEmbedQuery) {
      throw new ApiError('validation_failed', `The project's vectors are ${model}; this server embeds queries with ${embedder.model}, so vector search is not available here (use mode text)`);
    }
    // Cheap embedders catch up with new work in the request; a slow one is left to the scheduled drain.
    if (embedder.model.startsWith('gatehouse/')) await drainIfRecent(tx, project, embedder);
    const vector = canEmbedQuery && req.mode !== 'text' ? (await embedder.embed([req.query]))[0] : null;
    await tx.execute(hnswSettings(req.k));
    const hits = rowsOf<{ kind: string; id: string; text_rank: number | null; vector_rank: number | null; score: number }>(
      await tx.execute(hybridStatement(project.id, req, partition, model, dims, vector)));
    return { query: req.query, mode: req.mode, model: vector ? model : null, results: await describeHits(tx, req.query, hits) };
  });
}

export { hybridStatement };
