// The queue at a glance, for one project: how many jobs are in each status.
// Lists of running and failed jobs come from listJobs (jobs.ts).
import { sql } from 'drizzle-orm';
import { rowsOf } from '../platform/db.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export async function jobCounts(ctx: TenantContext, slug: string): Promise<Record<(typeof JOB_STATUSES)[number], number>> {
  return inProject(ctx, slug, async (tx, project) => {
    const rows = rowsOf<{ status: string; n: number }>(await tx.execute(sql`
      select status::text as status, count(*)::int as n from review_jobs where project_id = ${project.id} group by status`));
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<(typeof JOB_STATUSES)[number], number>;
    for (const r of rows) counts[r.status as keyof typeof counts] = Number(r.n);
    return counts;
  });
}
