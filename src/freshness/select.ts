// The freshness select: every requested note x gate pair under one
// partition, classified against the current acceptance in one statement.
import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, toArray, type Tx } from '../platform/db.js';
import { ApiError } from '../platform/errors.js';
import { type ManifestItem } from './snapshots.js';

export type Status = 'fresh' | 'stale' | 'missing';
export type Reason = 'never_reviewed' | 'note_changed' | 'gate_changed' | 'both_changed';

export interface SelectInput {
  modelPartition: string;
  notes?: ManifestItem[];
  gates?: ManifestItem[];
  pairs?: { note_path: string; note_sha256: string; gate_path: string; gate_sha256: string }[];
  statuses?: Status[];
  reasons?: Reason[];
  includeFresh?: boolean;
}

export interface SelectedPair {
  note_path: string;
  gate_path: string;
  status: Status;
  reason: Reason | null;
  note_sha256: string;
  gate_sha256: string;
  accepted_note_sha256: string | null;
  accepted_gate_sha256: string | null;
  revision: number | null;
}

export interface SelectResult {
  counts: Record<Status, number> & { total: number };
  reasons: Record<Reason, number>;
  pairs: SelectedPair[];
  missing_texts: ManifestItem[];
}

/** The requested pairs as a relation: a cross join of two manifests, or explicit pairs. */
function requestedPairs(input: SelectInput): SQL {
  if (input.pairs) {
    const p = input.pairs;
    return sql`select * from unnest(
      ${toArray(p.map((x) => x.note_path))}::text[], ${toArray(p.map((x) => x.note_sha256))}::text[],
      ${toArray(p.map((x) => x.gate_path))}::text[], ${toArray(p.map((x) => x.gate_sha256))}::text[]
    ) as r(note_path, note_sha256, gate_path, gate_sha256)`;
  }
  const notes = input.notes ?? [];
  const gates = input.gates ?? [];
  return sql`select n.path as note_path, n.sha256 as note_sha256, g.path as gate_path, g.sha256 as gate_sha256
    from unnest(${toArray(notes.map((x) => x.path))}::text[], ${toArray(notes.map((x) => x.sha256))}::text[]) as n(path, sha256)
    cross join unnest(${toArray(gates.map((x) => x.path))}::text[], ${toArray(gates.map((x) => x.sha256))}::text[]) as g(path, sha256)`;
}

/** Duplicates would count twice: keep the first of each path, or of each pair. */
function distinct(input: SelectInput): SelectInput {
  const firstBy = <T>(items: T[] | undefined, key: (x: T) => string) => {
    const seen = new Set<string>();
    return items?.filter((x) => !seen.has(key(x)) && seen.add(key(x)));
  };
  return {
    ...input,
    notes: firstBy(input.notes, (x) => x.path),
    gates: firstBy(input.gates, (x) => x.path),
    pairs: firstBy(input.pairs, (x) => `${x.note_path}\u0000${x.gate_path}`),
  };
}

function classify(row: { note_sha256: string; gate_sha256: string; accepted_note_sha256: string | null; accepted_gate_sha256: string | null; kind: string | null }): { status: Status; reason: Reason | null } {
  if (row.accepted_note_sha256 === null || row.kind === 'retire') return { status: 'missing', reason: 'never_reviewed' };
  const note = row.accepted_note_sha256 !== row.note_sha256;
  const gate = row.accepted_gate_sha256 !== row.gate_sha256;
  if (note && gate) return { status: 'stale', reason: 'both_changed' };
  if (note) return { status: 'stale', reason: 'note_changed' };
  if (gate) return { status: 'stale', reason: 'gate_changed' };
  return { status: 'fresh', reason: null };
}

/**
 * One statement, shaped for 10,000 notes x 10 gates in a request:
 * - `requested` expands the manifests in SQL (the pairs never cross the wire);
 * - one hash join against this partition's current rows, returning only the
 *   pairs that are not fresh (every pair with include_fresh), nothing
 *   materialised in between; fresh pairs are counted as the rest;
 * - the manifest entries whose text the server does not hold ride along in
 *   the same answer, told apart by `row_kind`.
 * A retired row reads as never reviewed but still carries its revision.
 * Counts always cover every requested pair, whatever the filters.
 */
export async function selectFreshness(tx: Tx, projectId: string, raw: SelectInput): Promise<SelectResult> {
  const input = distinct(raw);
  const statuses = input.statuses?.length ? new Set(input.statuses) : null;
  const reasons = input.reasons?.length ? new Set(input.reasons) : null;
  const includeFresh = input.includeFresh ?? false;
  const total = input.pairs ? input.pairs.length : (input.notes?.length ?? 0) * (input.gates?.length ?? 0);
  const entries = input.pairs
    ? [...input.pairs.map((p) => ({ path: p.note_path, sha256: p.note_sha256 })), ...input.pairs.map((p) => ({ path: p.gate_path, sha256: p.gate_sha256 }))]
    : [...(input.notes ?? []), ...(input.gates ?? [])];
  const rows = rowsOf<{
    row_kind: 'pair' | 'missing_text';
    note_path: string; gate_path: string | null; note_sha256: string; gate_sha256: string | null;
    accepted_note_sha256: string | null; accepted_gate_sha256: string | null; revision: number | null; kind: string | null;
  }>(await tx.execute(sql`
    with requested as (${requestedPairs(input)}),
    entries as (
      select distinct e.path, e.sha256
      from unnest(${toArray(entries.map((e) => e.path))}::text[], ${toArray(entries.map((e) => e.sha256))}::text[]) as e(path, sha256)
    )
    select 'pair' as row_kind, r.note_path, r.gate_path, r.note_sha256, r.gate_sha256,
           c.note_sha256 as accepted_note_sha256, c.gate_sha256 as accepted_gate_sha256, c.revision, c.kind::text as kind
    from requested r
    left join acceptance_current c
      on c.project_id = ${projectId} and c.model_partition = ${input.modelPartition}
     and c.note_path = r.note_path and c.gate_path = r.gate_path
    where ${includeFresh}::boolean or c.note_sha256 is null or c.kind = 'retire'
       or c.note_sha256 <> r.note_sha256 or c.gate_sha256 <> r.gate_sha256
    union all
    select 'missing_text', e.path, null, e.sha256, null, null, null, null, null
    from entries e
    where not exists (select 1 from snapshots s where s.project_id = ${projectId} and s.path = e.path and s.sha256 = e.sha256)
  `));

  const result: SelectResult = {
    counts: { fresh: 0, stale: 0, missing: 0, total },
    reasons: { never_reviewed: 0, note_changed: 0, gate_changed: 0, both_changed: 0 },
    pairs: [],
    missing_texts: [],
  };
  let listed = 0;
  for (const row of rows) {
    if (row.row_kind === 'missing_text') {
      result.missing_texts.push({ path: row.note_path, sha256: row.note_sha256 });
      continue;
    }
    listed += 1;
    const { status, reason } = classify(row as never);
    result.counts[status] += 1;
    if (reason) result.reasons[reason] += 1;
    if ((statuses && !statuses.has(status)) || (reasons && (!reason || !reasons.has(reason)))) continue;
    if (status === 'fresh' && !includeFresh) continue;
    result.pairs.push({
      note_path: row.note_path, gate_path: row.gate_path!, status, reason,
      note_sha256: row.note_sha256, gate_sha256: row.gate_sha256!,
      accepted_note_sha256: row.accepted_note_sha256, accepted_gate_sha256: row.accepted_gate_sha256,
      revision: row.revision === null ? null : Number(row.revision),
    });
  }
  // Pairs not listed were fresh (the statement only returns the rest).
  if (!includeFresh) result.counts.fresh = total - listed;
  result.pairs.sort((a, b) => (a.note_path < b.note_path ? -1 : a.note_path > b.note_path ? 1 : a.gate_path < b.gate_path ? -1 : a.gate_path > b.gate_path ? 1 : 0));
  result.missing_texts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return result;
}

/** Refuse requests that would expand past the configured size, naming the limit. */
export function checkSelectSize(input: SelectInput, limits: { maxManifestEntries: number; maxSelectPairs: number }) {
  const entries = input.pairs ? input.pairs.length : (input.notes?.length ?? 0) + (input.gates?.length ?? 0);
  if (entries > limits.maxManifestEntries) {
    throw new ApiError('payload_too_large', `At most ${limits.maxManifestEntries} manifest entries or pairs per request; this one has ${entries}`, { limit: 'max_manifest_entries', limit_value: limits.maxManifestEntries });
  }
  const pairs = input.pairs ? input.pairs.length : (input.notes?.length ?? 0) * (input.gates?.length ?? 0);
  if (pairs > limits.maxSelectPairs) {
    throw new ApiError('payload_too_large', `At most ${limits.maxSelectPairs} note x gate pairs per select; this one expands to ${pairs}`, { limit: 'max_select_pairs', limit_value: limits.maxSelectPairs });
  }
}

/**
 * How many pairs are fresh, stale and missing per (group of notes, gate),
 * counted in the database: for overviews of projects too large to list
 * pair by pair (10,000 notes x 42 gates, mostly unreviewed, is 420,000
 * non-fresh rows for selectFreshness). Same join and the same rule as
 * classify(), written in SQL; a test checks the two agree.
 */
export async function countFreshnessByGroup(
  tx: Tx, projectId: string,
  input: { modelPartition: string; notes: (ManifestItem & { group: number })[]; gates: ManifestItem[] },
): Promise<{ group: number; gate_path: string; status: Status; n: number }[]> {
  if (input.notes.length === 0 || input.gates.length === 0) return [];
  const rows = rowsOf<{ grp: number; gate_path: string; status: Status; n: number }>(await tx.execute(sql`
    select n.grp, g.path as gate_path,
      case when c.note_sha256 is null or c.kind = 'retire' then 'missing'
           when c.note_sha256 <> n.sha256 or c.gate_sha256 <> g.sha256 then 'stale'
           else 'fresh' end as status,
      count(*)::int as n
    from unnest(${toArray(input.notes.map((x) => x.path))}::text[], ${toArray(input.notes.map((x) => x.sha256))}::text[], ${toArray(input.notes.map((x) => String(x.group)))}::int[]) as n(path, sha256, grp)
    cross join unnest(${toArray(input.gates.map((x) => x.path))}::text[], ${toArray(input.gates.map((x) => x.sha256))}::text[]) as g(path, sha256)
    left join acceptance_current c
      on c.project_id = ${projectId} and c.model_partition = ${input.modelPartition}
     and c.note_path = n.path and c.gate_path = g.path
    group by 1, 2, 3`));
  return rows.map((r) => ({ group: Number(r.grp), gate_path: r.gate_path, status: r.status, n: Number(r.n) }));
}
