// Scheduled maintenance, the same on both hosts (the Workers cron trigger, a
// timer on Node): expired leases back to the queue, then snapshot GC.
import { reapAllOrgs } from './execution/claim.js';
import { collectAllProjects } from './freshness/gc.js';
import type { Database } from './platform/db.js';

export async function runScheduledMaintenance(db: Database, now: Date) {
  const reaped = await reapAllOrgs(db);
  const gc = await collectAllProjects(db, now);
  return { reaped, gc };
}
