// A proposed form of hybridStatement's vector ranking (src/search/search.ts),
// measured here beside the current one; bench/ does not change src/.
//
// Today the subject filter (two OR'd EXISTS) sits in the WHERE of the HNSW
// index scan. The planner cannot turn an OR of EXISTS into a semi-join, so it
// keeps them as subplans and, estimating that the index scan yields every row
// of the project, picks the *hashed* alternative: each call reads all of the
// project's snapshots and acceptances into a hash table before the first
// candidate is checked. The cost grows with the project, not with k.
//
// The proposal takes the nearest `efSearch` rows first (in a subquery with its
// own LIMIT, which the HNSW scan returns anyway: without iterative scans it
// yields at most hnsw.ef_search rows) and applies the subject filter to those
// only, where the planner probes the primary key per candidate. The result is
// the same set of candidates, filtered the same way.
//
// This copy covers mode 'vector' without optional filters (what the benchmark
// runs); the text half and the other filters would stay as they are.
import { sql, type SQL } from 'drizzle-orm';

export function proposedVectorStatement(projectId: string, k: number, model: string, dims: number, vector: number[], efSearch: number): SQL {
  const depth = Math.max(k * 4, 40);
  const cast = sql.raw(`vector(${dims})`);
  const qv = sql`${`[${vector.join(',')}]`}::${cast}`;
  // As candidates() builds them for a request without gate/outcome/partition/path filters.
  const items = sql`i.project_id = ${projectId} and i.artifact is not null`;
  const notes = sql`s.project_id = ${projectId} and exists (select 1 from acceptance_current c where c.note_snapshot_id = s.id)`;
  const subjectOk = sql`(e.subject_kind = 'job_item' and exists (select 1 from review_job_items i where i.id = e.subject_id and ${items}))
      or (e.subject_kind = 'snapshot' and exists (select 1 from snapshots s where s.id = e.subject_id and ${notes}))`;
  return sql`
    with text_hits as (
      select null::text as kind, null::uuid as id, null::bigint as r where false
    ),
    vector_hits as (
      select kind, id, row_number() over (order by dist, id) as r from (
        select e.subject_kind::text as kind, e.subject_id as id, e.dist
        from (select e.subject_kind, e.subject_id, (e.embedding::${cast}) <=> ${qv} as dist
              from embeddings e
              where e.project_id = ${projectId} and e.dims = ${dims} and e.model = ${model}
              order by (e.embedding::${cast}) <=> ${qv}
              limit ${efSearch}) e
        where ${subjectOk}
        order by e.dist
        limit ${depth}) v
    )
    select coalesce(t.kind, v.kind) as kind, coalesce(t.id, v.id) as id, t.r as text_rank, v.r as vector_rank,
           coalesce(1.0 / (60 + t.r), 0) + coalesce(1.0 / (60 + v.r), 0) as score
    from text_hits t full join vector_hits v on t.kind = v.kind and t.id = v.id
    order by score desc, id
    limit ${k}`;
}
