// The integrity check: current rows against the event history, references,
// and stored hashes against stored bodies. It reports; it never repairs.
import { sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../platform/db.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';

export interface Finding {
  kind: 'current_without_events' | 'events_without_current' | 'current_differs_from_latest_event' | 'revision_sequence_broken'
    | 'dangling_snapshot_reference' | 'hash_mismatch' | 'size_mismatch';
  note_path?: string;
  gate_path?: string;
  model_partition?: string;
  snapshot_id?: string;
  path?: string;
  detail: string;
}

/**
 * Recompute each pair's current row from its latest event and compare
 * every field a writer sets (a full outer join, so rows missing on either
 * side show up too).
 */
async function derivedStateFindings(tx: Tx, projectId: string): Promise<Finding[]> {
  const rows = rowsOf<{ note_path: string; gate_path: string; model_partition: string; problem: Finding['kind']; detail: string }>(await tx.execute(sql`
    with latest as (
      select distinct on (note_path, gate_path, model_partition) *
      from acceptance_events where project_id = ${projectId}
      order by note_path, gate_path, model_partition, id desc
    ),
    current as (select * from acceptance_current where project_id = ${projectId})
    select coalesce(l.note_path, c.note_path) as note_path, coalesce(l.gate_path, c.gate_path) as gate_path,
           coalesce(l.model_partition, c.model_partition) as model_partition,
           case when l.id is null then 'current_without_events'
                when c.event_id is null then 'events_without_current'
                else 'current_differs_from_latest_event' end as problem,
           concat_ws(' ', 'event', l.id, 'rev', l.revision, l.kind, '| current event', c.event_id, 'rev', c.revision, c.kind) as detail
    from latest l
    full join current c
      on c.note_path = l.note_path and c.gate_path = l.gate_path and c.model_partition = l.model_partition
    where l.id is null or c.event_id is null
       or c.event_id <> l.id or c.revision <> l.revision or c.kind <> l.kind
       or c.note_snapshot_id is distinct from l.note_snapshot_id or c.gate_snapshot_id is distinct from l.gate_snapshot_id
       or c.note_sha256 is distinct from l.note_sha256 or c.gate_sha256 is distinct from l.gate_sha256
       or c.outcome is distinct from l.outcome
    limit 1000`));
  return rows.map((r) => ({ kind: r.problem, note_path: r.note_path, gate_path: r.gate_path, model_partition: r.model_partition, detail: r.detail }));
}

/** Each pair's events must carry revisions 1, 2, 3… in the order they were appended. */
async function revisionFindings(tx: Tx, projectId: string): Promise<Finding[]> {
  const rows = rowsOf<{ note_path: string; gate_path: string; model_partition: string; id: number; revision: number; expected: number }>(await tx.execute(sql`
    select * from (
      select note_path, gate_path, model_partition, id, revision,
             row_number() over (partition by note_path, gate_path, model_partition order by id) as expected
      from acceptance_events where project_id = ${projectId}
    ) e where revision <> expected limit 1000`));
  return rows.map((r) => ({ kind: 'revision_sequence_broken', note_path: r.note_path, gate_path: r.gate_path, model_partition: r.model_partition, detail: `event ${r.id} has revision ${r.revision}, expected ${r.expected}` }));
}

/** Current rows and job items must point at snapshots that exist (the FKs say so; this checks). */
async function referenceFindings(tx: Tx, projectId: string): Promise<Finding[]> {
  const rows = rowsOf<{ source: string; snapshot_id: string; note_path: string; gate_path: string }>(await tx.execute(sql`
    select 'acceptance_current' as source, r.snapshot_id, r.note_path, r.gate_path from (
      select note_snapshot_id as snapshot_id, note_path, gate_path from acceptance_current where project_id = ${projectId} and note_snapshot_id is not null
      union all
      select gate_snapshot_id, note_path, gate_path from acceptance_current where project_id = ${projectId} and gate_snapshot_id is not null
    ) r where not exists (select 1 from snapshots s where s.id = r.snapshot_id)
    union all
    select 'review_job_items', r.snapshot_id, r.note_path, r.gate_path from (
      select note_snapshot_id as snapshot_id, note_path, gate_path from review_job_items where project_id = ${projectId}
      union all
      select gate_snapshot_id, note_path, gate_path from review_job_items where project_id = ${projectId}
    ) r where not exists (select 1 from snapshots s where s.id = r.snapshot_id)
    limit 1000`));
  return rows.map((r) => ({ kind: 'dangling_snapshot_reference', snapshot_id: r.snapshot_id, note_path: r.note_path, gate_path: r.gate_path, detail: `${r.source} references a snapshot that does not exist` }));
}

/** Re-hash stored bodies in the database (no texts cross the wire): a random sample, or all. */
async function hashFindings(tx: Tx, projectId: string, sample: number | 'all'): Promise<{ checked: number; findings: Finding[] }> {
  const rows = rowsOf<{ id: string; path: string; ok_hash: boolean; ok_size: boolean; sha256: string; actual: string }>(await tx.execute(sql`
    select id, path, sha256, encode(sha256(convert_to(body, 'UTF8')), 'hex') as actual,
           encode(sha256(convert_to(body, 'UTF8')), 'hex') = sha256 as ok_hash,
           octet_length(convert_to(body, 'UTF8')) = byte_size as ok_size
    from (select * from snapshots where project_id = ${projectId}
          ${sample === 'all' ? sql`` : sql`order by random() limit ${sample}`}) s`));
  const findings: Finding[] = [];
  for (const r of rows) {
    if (!r.ok_hash) findings.push({ kind: 'hash_mismatch', snapshot_id: r.id, path: r.path, detail: `stored sha256 ${r.sha256}, body hashes to ${r.actual}` });
    if (!r.ok_size) findings.push({ kind: 'size_mismatch', snapshot_id: r.id, path: r.path, detail: 'stored byte_size differs from the body' });
  }
  return { checked: rows.length, findings };
}

export async function checkProjectIntegrity(tx: Tx, projectId: string, rehash: number | 'all') {
  const [counts] = rowsOf<{ events: number; pairs: number; snapshots: number }>(await tx.execute(sql`
    select (select count(*)::int from acceptance_events where project_id = ${projectId}) as events,
           (select count(*)::int from acceptance_current where project_id = ${projectId}) as pairs,
           (select count(*)::int from snapshots where project_id = ${projectId}) as snapshots`));
  const hashes = await hashFindings(tx, projectId, rehash);
  const findings = [
    ...(await derivedStateFindings(tx, projectId)),
    ...(await revisionFindings(tx, projectId)),
    ...(await referenceFindings(tx, projectId)),
    ...hashes.findings,
  ];
  return {
    ok: findings.length === 0,
    checked: { events: counts.events, current_pairs: counts.pairs, snapshots: counts.snapshots, snapshots_rehashed: hashes.checked },
    findings,
  };
}

export async function checkIntegrity(ctx: TenantContext, slug: string, q: { rehash: 'sample' | 'all'; sample_size: number }) {
  return inProject(ctx, slug, (tx, project) => checkProjectIntegrity(tx, project.id, q.rehash === 'all' ? 'all' : q.sample_size));
}
