// Giving a job back: its lease holder puts it back in the queue unharmed,
// for a runner that claimed work it cannot do (its adapter cannot start).
// Unlike an expired lease, a release does not count as an attempt: nothing
// was reviewed. Results already stored stay with their items.
import { eq, sql } from 'drizzle-orm';
import { reviewJobs } from '../../drizzle/schema.js';
import { inTenant, type TenantContext } from '../tenancy/context.js';
import { requireLease } from './claim.js';
import { loadJob } from './jobs.js';
import { presentJob } from './present.js';

export async function releaseJob(ctx: TenantContext, jobId: string, leaseId: string) {
  return inTenant(ctx, async (tx) => {
    const { job, slug } = await loadJob(tx, ctx, jobId, true);
    await requireLease(tx, job, leaseId);
    const [released] = await tx.update(reviewJobs).set({
      status: 'queued', leaseOwner: null, leaseId: null, leaseExpiresAt: null, updatedAt: sql`now()`,
    }).where(eq(reviewJobs.id, job.id)).returning();
    return presentJob(released, slug);
  });
}
