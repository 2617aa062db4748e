// What still needs a vector, found by anti-join (no queue table to keep in
// step): finished review artifacts, and note texts some acceptance uses now.
// Idempotent and resumable: a drain that stops half way leaves the rest for
// the next one; two drainers at once insert each vector once.
import { eq, sql, type SQL } from 'drizzle-orm';
import { embeddings, projects } from '../../drizzle/schema.js';
import { type Database, rowsOf, type Tx, withTenant } from '../platform/db.js';
import type { ProjectRow } from '../tenancy/projects.js';
import type { Embedder } from './embedder.js';

/** The model a project's vectors must have: its own choice, else the server's. */
export function projectModel(project: ProjectRow, embedder: Embedder): { model: string; dims: number; source: 'server' | 'runner' } {
  return {
    model: project.embeddingModel ?? embedder.model,
    dims: project.embeddingDims ?? embedder.dims,
    source: project.embeddingSource,
  };
}

export async function drainProject(tx: Tx, project: ProjectRow, embedder: Embedder, limit = 256): Promise<number> {
  const { model, source } = projectModel(project, embedder);
  // Runner-computed vectors arrive with results; another model is not ours to compute.
  if (source !== 'server' || model !== embedder.model) return 0;
  const pending = rowsOf<{ kind: 'job_item' | 'snapshot'; id: string; text: string }>(await tx.execute(sql`
    (select 'job_item' as kind, i.id, i.artifact as text from review_job_items i
      where i.project_id = ${project.id} and i.artifact is not null
        and not exists (select 1 from embeddings e where e.subject_kind = 'job_item' and e.subject_id = i.id and e.model = ${model})
      limit ${limit})
    union all
    (select 'snapshot', s.id, s.body from snapshots s
      where s.project_id = ${project.id}
        and exists (select 1 from acceptance_current c where c.note_snapshot_id = s.id)
        and not exists (select 1 from embeddings e where e.subject_kind = 'snapshot' and e.subject_id = s.id and e.model = ${model})
      limit ${limit})`));
  if (pending.length === 0) return 0;
  const vectors = await embedder.embed(pending.map((p) => p.text));
  const inserted = await tx.insert(embeddings).values(pending.map((p, i) => ({
    orgId: project.orgId, projectId: project.id, subjectKind: p.kind, subjectId: p.id, model, dims: embedder.dims, embedding: vectors[i],
  }))).onConflictDoNothing().returning({ id: embeddings.id });
  return inserted.length;
}

/**
 * Search's catch-up, cheap when there is nothing to do: the full drain's
 * anti-join reads every note and artifact of the project (about 125 ms at
 * 100,000 notes even with nothing pending), so a search first looks only at
 * the project's `window` newest acceptances and review artifacts (an index
 * range scan and a probe per row, independent of the project's size). If one of those lacks a vector, new work has arrived
 * and the full drain runs, taking a bounded batch of everything pending. A
 * backlog older than the window with nothing new on top (say after a model
 * change) is left to the scheduled drain, which sweeps every project.
 */
/**
 * drainIfRecent's check. `offset 0` keeps each NOT EXISTS a per-row probe of
 * embeddings_subject_model: as an anti-join the planner hashes all of the
 * project's vectors instead (7.5 ms at 10,000, growing with the project).
 */
export function recentlyPending(projectId: string, model: string, window: number): SQL {
  return sql`
    select exists (
      select 1 from (select c.note_snapshot_id as id from acceptance_current c
                     where c.project_id = ${projectId} order by c.event_id desc limit ${window}) c
      where c.id is not null
        and not exists (select 1 from embeddings e where e.subject_kind = 'snapshot' and e.subject_id = c.id and e.model = ${model} offset 0)
    ) or exists (
      select 1 from (select i.id from review_job_items i
                     where i.project_id = ${projectId} and i.artifact is not null order by i.completed_at desc limit ${window}) i
      where not exists (select 1 from embeddings e where e.subject_kind = 'job_item' and e.subject_id = i.id and e.model = ${model} offset 0)
    ) as pending`;
}

export async function drainIfRecent(tx: Tx, project: ProjectRow, embedder: Embedder, window = 64): Promise<number> {
  const { model, source } = projectModel(project, embedder);
  if (source !== 'server' || model !== embedder.model) return 0;
  const [{ pending }] = rowsOf<{ pending: boolean }>(await tx.execute(recentlyPending(project.id, model, window)));
  return pending ? drainProject(tx, project, embedder) : 0;
}

/** Scheduled: every project of every org, a bounded batch each (operator-side listing, tenant transactions). */
export async function drainAllProjects(db: Database, embedder: Embedder, limit = 256): Promise<number> {
  const live = rowsOf<{ org_id: string; id: string }>(await db.execute(sql`select org_id, id from projects where deleted_at is null`));
  let total = 0;
  for (const p of live) {
    total += await withTenant(db, { orgId: p.org_id }, async (tx) => {
      const [project] = await tx.select().from(projects).where(eq(projects.id, p.id));
      return project ? drainProject(tx, project, embedder, limit) : 0;
    });
  }
  return total;
}
