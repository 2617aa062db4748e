// Seeding straight into the tables as the connecting superuser (RLS
// bypassed), set-based: one INSERT … SELECT over unnest arrays per table.
// The HTTP API is not used for acceptances here: 100,000 of them through
// it would take longer than the whole benchmark.
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/platform/db.js';
import { rowsOf, toArray } from '../../src/platform/db.js';
import { type ManifestItem } from '../../src/freshness/snapshots.js';

export interface Scope { orgId: string; projectId: string }

/** Store texts; the database computes sha256 and byte size, which must agree with the sha256 given (hashed in JS). */
export async function insertSnapshots(db: Database, scope: Scope, files: { path: string; body: string; sha256: string }[]): Promise<void> {
  for (let i = 0; i < files.length; i += 5000) {
    const chunk = files.slice(i, i + 5000);
    await db.execute(sql`
      insert into snapshots (org_id, project_id, path, body, sha256, byte_size)
      select ${scope.orgId}::uuid, ${scope.projectId}::uuid, f.path, f.body,
             encode(sha256(convert_to(f.body, 'UTF8')), 'hex'), octet_length(convert_to(f.body, 'UTF8'))
      from unnest(${toArray(chunk.map((f) => f.path))}::text[], ${toArray(chunk.map((f) => f.body))}::text[]) as f(path, body)
      on conflict do nothing`);
  }
  // The manifests are hashed in JS; the database hashed the same bodies. They must agree.
  const [check] = rowsOf<{ held: number }>(await db.execute(sql`
    select count(*)::int as held from snapshots s
    join unnest(${toArray(files.map((f) => f.path))}::text[], ${toArray(files.map((f) => f.sha256))}::text[]) as f(path, sha256)
      on s.path = f.path and s.sha256 = f.sha256
    where s.project_id = ${scope.projectId}::uuid`));
  if (check.held !== files.length) throw new Error(`seeding: ${files.length - check.held} snapshot hashes computed in JS differ from the database's`);
}

/**
 * Accept every note × gate pair (revision 1, kind review, outcome pass)
 * against the given texts, which must already be held, except the pair
 * indices in `skip` (noteIndex * gates.length + gateIndex): those stay
 * never reviewed. Writes acceptance_events, then acceptance_current from them.
 */
export async function acceptPairs(db: Database, scope: Scope, partition: string, notes: ManifestItem[], gates: ManifestItem[], skip: number[] = []): Promise<number> {
  const acceptedAt = new Date().toISOString();
  const [{ n }] = rowsOf<{ n: number }>(await db.execute(sql`
    with inserted as (
      insert into acceptance_events (org_id, project_id, note_path, gate_path, model_partition, revision, kind,
                                     note_snapshot_id, gate_snapshot_id, note_sha256, gate_sha256, outcome, created_at)
      select ${scope.orgId}::uuid, ${scope.projectId}::uuid, n.path, g.path, ${partition}, 1, 'review'::acceptance_kind,
             sn.id, sg.id, n.sha256, g.sha256, 'pass'::review_outcome, ${acceptedAt}::timestamptz
      from unnest(${toArray(notes.map((x) => x.path))}::text[], ${toArray(notes.map((x) => x.sha256))}::text[]) with ordinality as n(path, sha256, i)
      cross join unnest(${toArray(gates.map((x) => x.path))}::text[], ${toArray(gates.map((x) => x.sha256))}::text[]) with ordinality as g(path, sha256, j)
      join snapshots sn on sn.project_id = ${scope.projectId}::uuid and sn.path = n.path and sn.sha256 = n.sha256
      join snapshots sg on sg.project_id = ${scope.projectId}::uuid and sg.path = g.path and sg.sha256 = g.sha256
      where ((n.i - 1) * ${gates.length}::bigint + (g.j - 1)) not in (select unnest(${toArray(skip)}::bigint[]))
      order by n.path, g.path
      returning 1
    )
    select count(*)::int as n from inserted`));
  await db.execute(sql`
    insert into acceptance_current (org_id, project_id, note_path, gate_path, model_partition, revision, event_id, kind,
                                    note_snapshot_id, gate_snapshot_id, note_sha256, gate_sha256, outcome, accepted_at)
    select org_id, project_id, note_path, gate_path, model_partition, revision, id, kind,
           note_snapshot_id, gate_snapshot_id, note_sha256, gate_sha256, outcome, created_at
    from acceptance_events
    where project_id = ${scope.projectId}::uuid and model_partition = ${partition}`);
  const expected = notes.length * gates.length - skip.length;
  if (n !== expected) throw new Error(`seeding: accepted ${n} pairs, expected ${expected} (are all texts held?)`);
  return n;
}

/** Fresh planner statistics after bulk loading (what autovacuum would give a live table). */
export async function analyze(db: Database): Promise<void> {
  for (const table of ['snapshots', 'acceptance_events', 'acceptance_current']) {
    await db.execute(sql.raw(`vacuum analyze ${table}`));
  }
}
