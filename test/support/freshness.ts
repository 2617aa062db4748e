// Freshness fixtures: texts with their hashes, uploads, and accepting pairs
// the way execution will (through recordAcceptance, inside a tenant tx).
import { sql } from 'drizzle-orm';
import { type AcceptanceInput, recordAcceptance } from '../../src/freshness/acceptance.js';
import { sha256Hex } from '../../src/freshness/names.js';
import { rowsOf, withTenant } from '../../src/platform/db.js';
import type { OrgFixture, TestEnv } from './harness.js';

export interface Text { path: string; body: string; sha256: string }

export async function text(path: string, body: string): Promise<Text> {
  return { path, body, sha256: await sha256Hex(new TextEncoder().encode(body)) };
}

export async function upload(env: TestEnv, token: string, project: string, texts: Text[]) {
  const reply = await env.request('POST', `/v1/projects/${project}/snapshots`, { token, body: { files: texts.map((t) => ({ path: t.path, sha256: t.sha256, body: t.body })) } });
  if (reply.status !== 200) throw new Error(`upload failed: ${reply.status} ${reply.text}`);
  return reply.json;
}

export const manifest = (texts: Text[]) => texts.map((t) => ({ path: t.path, sha256: t.sha256 }));

/**
 * Accept note x gate pairs with `review` events, as a finalized job would,
 * expecting the pair's current revision (or `expected`, when given).
 */
export async function accept(env: TestEnv, org: OrgFixture, projectSlug: string, partition: string, pairs: [Text, Text][], outcome: 'pass' | 'warn' | 'fail' = 'pass', expected?: number | null) {
  const db = env.database.db;
  return withTenant(db, { orgId: org.id }, async (tx) => {
    const [project] = rowsOf<{ id: string }>(await tx.execute(sql`select id from projects where slug = ${projectSlug} and deleted_at is null`));
    const ids = async (t: Text) => rowsOf<{ id: string }>(await tx.execute(sql`select id from snapshots where project_id = ${project.id} and path = ${t.path} and sha256 = ${t.sha256}`))[0].id;
    const events: AcceptanceInput[] = [];
    for (const [note, gate] of pairs) {
      const [current] = rowsOf<{ revision: number }>(await tx.execute(sql`select revision from acceptance_current where project_id = ${project.id} and note_path = ${note.path} and gate_path = ${gate.path} and model_partition = ${partition}`));
      events.push({
        notePath: note.path, gatePath: gate.path, modelPartition: partition, kind: 'review',
        noteSnapshotId: await ids(note), gateSnapshotId: await ids(gate), noteSha256: note.sha256, gateSha256: gate.sha256,
        outcome, expectedRevision: expected !== undefined ? expected : current ? Number(current.revision) : null,
      });
    }
    return recordAcceptance(tx, { member: { orgId: org.id, userId: org.ownerId, tokenId: null } }, project.id, events, new Date());
  });
}

export const select = (env: TestEnv, token: string, project: string, body: Record<string, unknown>) =>
  env.request('POST', `/v1/projects/${project}/freshness`, { token, body });
