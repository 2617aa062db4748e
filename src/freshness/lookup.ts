// Resolving (path, sha256) to held snapshots, in bulk.
import { sql } from 'drizzle-orm';
import { rowsOf, toArray, type Tx } from '../platform/db.js';
import { ApiError } from '../platform/errors.js';
import { type ManifestItem } from './snapshots.js';

export const textKey = (path: string, sha256: string) => `${path}\u0000${sha256}`;

export interface HeldText { id: string; path: string; sha256: string; body: string | null }

/** Snapshot ids (and bodies, on request) for the texts the project holds, keyed by textKey. */
export async function findSnapshots(tx: Tx, projectId: string, items: ManifestItem[], withBody = false): Promise<Map<string, HeldText>> {
  const unique = [...new Map(items.map((i) => [textKey(i.path, i.sha256), i])).values()];
  const rows = unique.length === 0 ? [] : rowsOf<HeldText>(await tx.execute(sql`
    select s.id, s.path, s.sha256, ${withBody ? sql`s.body` : sql`null`} as body
    from snapshots s
    join unnest(${toArray(unique.map((i) => i.path))}::text[], ${toArray(unique.map((i) => i.sha256))}::text[]) as k(path, sha256)
      on s.path = k.path and s.sha256 = k.sha256
    where s.project_id = ${projectId}`));
  return new Map(rows.map((r) => [textKey(r.path, r.sha256), r]));
}

/** As findSnapshots, but 422 naming every text the project lacks. */
export async function requireSnapshots(tx: Tx, projectId: string, items: ManifestItem[], withBody = false) {
  const found = await findSnapshots(tx, projectId, items, withBody);
  const unique = [...new Map(items.map((i) => [textKey(i.path, i.sha256), i])).values()];
  const missing = unique.filter((i) => !found.has(textKey(i.path, i.sha256)));
  if (missing.length > 0) {
    throw new ApiError('validation_failed', `The server does not hold ${missing.length} of the texts named; upload them first`, {
      errors: missing.slice(0, 100).map((m) => ({ path: 'body', message: `no snapshot of ${m.path} with sha256 ${m.sha256}` })),
      missing_texts: missing,
    });
  }
  return found;
}

export interface CurrentRow {
  note_path: string;
  gate_path: string;
  model_partition: string;
  revision: number;
  kind: string;
  note_snapshot_id: string | null;
  gate_snapshot_id: string | null;
  note_sha256: string | null;
  gate_sha256: string | null;
  outcome: 'pass' | 'warn' | 'fail' | 'error' | null;
}

export const pairKey = (notePath: string, gatePath: string) => `${notePath}\u0000${gatePath}`;

/** Current acceptance rows for pairs under one partition, locked until commit. */
export async function lockCurrent(tx: Tx, projectId: string, partition: string, pairs: { note_path: string; gate_path: string }[]) {
  if (pairs.length === 0) return new Map<string, CurrentRow>();
  const rows = rowsOf<CurrentRow>(await tx.execute(sql`
    select c.note_path, c.gate_path, c.model_partition, c.revision, c.kind, c.note_snapshot_id, c.gate_snapshot_id,
           c.note_sha256, c.gate_sha256, c.outcome
    from acceptance_current c
    join unnest(${toArray(pairs.map((p) => p.note_path))}::text[], ${toArray(pairs.map((p) => p.gate_path))}::text[]) as k(note_path, gate_path)
      on c.note_path = k.note_path and c.gate_path = k.gate_path
    where c.project_id = ${projectId} and c.model_partition = ${partition}
    for update of c`));
  return new Map(rows.map((r) => [pairKey(r.note_path, r.gate_path), { ...r, revision: Number(r.revision) }]));
}

/** Bodies of snapshots by id (collected ones are simply absent). */
export async function bodiesById(tx: Tx, projectId: string, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = rowsOf<{ id: string; body: string }>(await tx.execute(sql`
    select id, body from snapshots where project_id = ${projectId} and id = any(${toArray(unique)}::uuid[])`));
  return new Map(rows.map((r) => [r.id, r.body]));
}
