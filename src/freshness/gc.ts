// Snapshot garbage collection: a text goes when no current acceptance and
// no job item uses it. The foreign keys from those rows make a wrong delete
// impossible; this only decides what to try. A grace period spares texts a
// client has just pushed and is about to enqueue or ack.
import { sql } from 'drizzle-orm';
import { type Database, rowsOf, type Tx, withTenant } from '../platform/db.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';

export const DEFAULT_GC_MIN_AGE_SECONDS = 3600;

export interface GcResult { dry_run: boolean; snapshots: number; bytes: number; embeddings: number; min_age_seconds: number }

/**
 * One statement: the unreferenced, old-enough snapshots of a project, their
 * embeddings deleted with them (or only counted, on a dry run).
 */
export async function collectProject(tx: Tx, projectId: string, now: Date, minAgeSeconds: number, dryRun: boolean): Promise<GcResult> {
  const cutoff = new Date(now.getTime() - minAgeSeconds * 1000).toISOString();
  const doomed = sql`
    select s.id, s.byte_size from snapshots s
    where s.project_id = ${projectId} and s.created_at <= ${cutoff}::timestamptz
      and not exists (select 1 from acceptance_current c where c.note_snapshot_id = s.id)
      and not exists (select 1 from acceptance_current c where c.gate_snapshot_id = s.id)
      and not exists (select 1 from review_job_items i where i.note_snapshot_id = s.id)
      and not exists (select 1 from review_job_items i where i.gate_snapshot_id = s.id)`;
  const [row] = rowsOf<{ snapshots: number; bytes: number; embeddings: number }>(await tx.execute(dryRun
    ? sql`with doomed as (${doomed})
        select count(*)::int as snapshots, coalesce(sum(byte_size), 0)::bigint as bytes,
          (select count(*)::int from embeddings e where e.subject_kind = 'snapshot' and e.subject_id in (select id from doomed)) as embeddings
        from doomed`
    : sql`with doomed as materialized (${doomed}),
        gone_embeddings as (delete from embeddings e where e.subject_kind = 'snapshot' and e.subject_id in (select id from doomed) returning 1),
        gone as (delete from snapshots s using doomed d where s.id = d.id returning s.byte_size)
        select count(*)::int as snapshots, coalesce(sum(byte_size), 0)::bigint as bytes,
          (select count(*)::int from gone_embeddings) as embeddings
        from gone`));
  return { dry_run: dryRun, snapshots: Number(row.snapshots), bytes: Number(row.bytes), embeddings: Number(row.embeddings), min_age_seconds: minAgeSeconds };
}

export async function collectGarbage(ctx: TenantContext, slug: string, req: { dry_run: boolean; min_age_seconds: number }) {
  return inProject(ctx, slug, (tx, project) => collectProject(tx, project.id, ctx.now, req.min_age_seconds, req.dry_run));
}

/**
 * The scheduled run (Workers cron, a timer on Node): every live project of
 * every org, each in its own tenant transaction. Listing the projects is the
 * one cross-tenant read, done by the operator-side caller, never a request.
 */
export async function collectAllProjects(db: Database, now: Date): Promise<{ projects: number; snapshots: number; bytes: number; failed: number }> {
  const projects = rowsOf<{ org_id: string; id: string }>(await db.execute(sql`select org_id, id from projects where deleted_at is null`));
  const total = { projects: projects.length, snapshots: 0, bytes: 0, failed: 0 };
  for (const p of projects) {
    try {
      const result = await withTenant(db, { orgId: p.org_id }, (tx) => collectProject(tx, p.id, now, DEFAULT_GC_MIN_AGE_SECONDS, false));
      total.snapshots += result.snapshots;
      total.bytes += result.bytes;
    } catch (err) {
      // A reference added while we collected: that project waits for the next run.
      total.failed += 1;
      console.error(JSON.stringify({ level: 'warn', message: `gc of project ${p.id} failed: ${err instanceof Error ? err.message : String(err)}` }));
    }
  }
  return total;
}
