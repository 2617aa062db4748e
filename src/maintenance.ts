// Scheduled maintenance, the same on both hosts (the Workers cron trigger, a
// timer on Node): expired leases back to the queue, snapshot GC, and vectors
// for what still lacks one.
import { reapAllOrgs } from './execution/claim.js';
import { collectAllProjects } from './freshness/gc.js';
import type { Database } from './platform/db.js';
import { drainAllProjects } from './search/embed-queue.js';
import type { Embedder } from './search/embedder.js';

export async function runScheduledMaintenance(db: Database, now: Date, embedder: Embedder) {
  const reaped = await reapAllOrgs(db);
  const gc = await collectAllProjects(db, now);
  const embedded = await drainAllProjects(db, embedder);
  return { reaped, gc, embedded };
}
