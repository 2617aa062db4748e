// What the dashboard treats as a project's "current" texts and partitions.
//
// The server never sees the working tree; it sees pushes. So the heatmap
// takes, per path, the most recently pushed snapshot as the current text,
// which is what the last `gatehouse push`/`status` sent. A path is a gate
// when some acceptance or job ever used it as one; every other path is a
// note. A path whose every acceptance was retired after its last push is
// gone (deleted or moved) and is left out. The freshness of each pair is then
// whatever the API's select says for these manifests: the same function.
import { sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../platform/db.js';
import type { ManifestItem } from '../../freshness/snapshots.js';
import { loadRegistry } from '../../registry/state.js';

export interface ProjectFiles {
  notes: ManifestItem[];
  gates: ManifestItem[];
  /** A short fingerprint of both manifests: links that name cells by position check it. */
  version: string;
}

export async function currentFiles(tx: Tx, projectId: string): Promise<ProjectFiles> {
  const rows = rowsOf<{ path: string; sha256: string; is_gate: boolean }>(await tx.execute(sql`
    with latest as (
      select distinct on (path) path, sha256, created_at
      from snapshots where project_id = ${projectId}
      order by path, created_at desc, id desc
    ),
    gates as (
      select gate_path as path from acceptance_current where project_id = ${projectId}
      union select gate_path from review_job_items where project_id = ${projectId}
    ),
    retired as (
      select path, max(at) as at from (
        select note_path as path, bool_and(kind = 'retire') as all_retired, max(accepted_at) as at
        from acceptance_current where project_id = ${projectId} group by note_path
        union all
        select gate_path, bool_and(kind = 'retire'), max(accepted_at)
        from acceptance_current where project_id = ${projectId} group by gate_path
      ) r where all_retired group by path
    )
    select l.path, l.sha256, g.path is not null as is_gate
    from latest l
    left join (select distinct path from gates) g on g.path = l.path
    left join retired r on r.path = l.path
    where r.path is null or l.created_at > r.at
    order by l.path`));
  const notes: ManifestItem[] = [];
  const gates: ManifestItem[] = [];
  let digest = 0;
  for (const r of rows) {
    (r.is_gate ? gates : notes).push({ path: r.path, sha256: r.sha256 });
    // FNV-1a over paths, hashes and roles: cheap, and only guards against a shifted index.
    for (const ch of `${r.is_gate ? 'g' : 'n'}${r.path}${r.sha256}`) digest = Math.imul(digest ^ ch.charCodeAt(0), 16777619) >>> 0;
  }
  return { notes, gates, version: digest.toString(36) };
}

export interface PartitionInfo { name: string; status: 'verified' | 'unverified' | 'unregistered'; accepted: number }

/** Registered partitions and any partition acceptance was recorded under, most used first. */
export async function knownPartitions(tx: Tx, projectId: string): Promise<PartitionInfo[]> {
  const registry = await loadRegistry(tx, projectId);
  const used = rowsOf<{ name: string; n: number }>(await tx.execute(sql`
    select model_partition as name, count(*)::int as n from acceptance_current
    where project_id = ${projectId} and kind <> 'retire' group by model_partition`));
  const counts = new Map(used.map((u) => [u.name, Number(u.n)]));
  const all = new Map<string, PartitionInfo>();
  for (const p of registry.partitions) all.set(p.model_partition, { name: p.model_partition, status: p.status, accepted: counts.get(p.model_partition) ?? 0 });
  for (const [name, n] of counts) if (!all.has(name)) all.set(name, { name, status: 'unregistered', accepted: n });
  return [...all.values()].sort((a, b) => b.accepted - a.accepted || a.name.localeCompare(b.name));
}
