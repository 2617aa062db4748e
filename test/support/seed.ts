// One row in every tenant table for an org, written as the connecting
// superuser (RLS bypassed), so isolation tests have something to hide.
import * as s from '../../drizzle/schema.js';
import type { Database } from '../../src/platform/db.js';

export async function seedEveryTable(db: Database, slug: string) {
  const orgId = crypto.randomUUID();
  await db.insert(s.orgs).values({ id: orgId, slug, name: slug });
  const [user] = await db.insert(s.users).values({ orgId, issuer: 'seed', subject: `${slug}-user` }).returning();
  await db.insert(s.orgMemberships).values({ orgId, userId: user.id, role: 'owner' });
  const [group] = await db.insert(s.groups).values({ orgId, name: 'g' }).returning();
  await db.insert(s.groupMemberships).values({ orgId, groupId: group.id, userId: user.id });
  const [project] = await db.insert(s.projects).values({ orgId, slug: 'p', name: 'p', ownerUserId: user.id }).returning();
  const tokenId = crypto.randomUUID();
  await db.insert(s.apiTokens).values({ id: tokenId, orgId, userId: user.id, name: 't', scopes: [], expiresAt: new Date(Date.now() + 3600_000).toISOString() });
  await db.insert(s.auditLog).values({ orgId, action: 'seed', targetType: 'org' });
  await db.insert(s.idempotencyKeys).values({ orgId, userId: user.id, key: 'k', method: 'POST', path: '/', requestHash: 'h' });
  const projectId = project.id;
  const [note] = await db.insert(s.snapshots).values({ orgId, projectId, path: 'n.md', body: 'note', sha256: 'a'.repeat(64), byteSize: 4 }).returning();
  const [gate] = await db.insert(s.snapshots).values({ orgId, projectId, path: 'g.md', body: 'gate', sha256: 'b'.repeat(64), byteSize: 4 }).returning();
  const [event] = await db.insert(s.acceptanceEvents).values({
    orgId, projectId, notePath: 'n.md', gatePath: 'g.md', modelPartition: 'm', revision: 1, kind: 'review',
    noteSnapshotId: note.id, gateSnapshotId: gate.id, noteSha256: note.sha256, gateSha256: gate.sha256, outcome: 'pass',
  }).returning();
  await db.insert(s.acceptanceCurrent).values({
    orgId, projectId, notePath: 'n.md', gatePath: 'g.md', modelPartition: 'm', revision: 1, eventId: event.id, kind: 'review',
    noteSnapshotId: note.id, gateSnapshotId: gate.id, noteSha256: note.sha256, gateSha256: gate.sha256, outcome: 'pass', acceptedAt: new Date().toISOString(),
  });
  const [job] = await db.insert(s.reviewJobs).values({ orgId, projectId, modelPartition: 'm', requestedPartition: 'm', runner: 'exec' }).returning();
  await db.insert(s.reviewJobItems).values({ orgId, projectId, jobId: job.id, ordinal: 0, notePath: 'n.md', gatePath: 'g.md', modelPartition: 'm', noteSnapshotId: note.id, gateSnapshotId: gate.id });
  await db.insert(s.modelPartitions).values({ orgId, projectId, modelPartition: 'm' });
  await db.insert(s.modelPartitionAliases).values({ orgId, projectId, alias: 'a', modelPartition: 'm' });
  await db.insert(s.modelPartitionRunnerModels).values({ orgId, projectId, modelPartition: 'm', runner: 'exec', runnerModel: 'x' });
  await db.insert(s.embeddings).values({ orgId, projectId, subjectKind: 'snapshot', subjectId: note.id, model: 'test', dims: 384, embedding: Array.from({ length: 384 }, (_, i) => (i === 0 ? 1 : 0)) });
  return { orgId, userId: user.id, projectId, eventId: event.id, tokenId };
}
