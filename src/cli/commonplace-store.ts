// Reading a local Commonplace review store (SQLite, written by Commonplace's
// own review commands). node:sqlite is built into Node 22: no native addon.
//
// Baselines are read from the tables behind the store's view
// `current_review_freshness_baselines`, with outer joins, so a row whose
// references dangle is reported instead of silently vanishing from an inner
// join. Rows come in keyset pages: memory stays flat however large the store.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { DatabaseSync as DatabaseSyncType } from 'node:sqlite';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PARTITION_PATTERN, pathProblem } from '../freshness/names.js';
import { CliError } from './errors.js';

/** The schema version (PRAGMA user_version) of the stores this reader was checked against. */
export const KNOWN_USER_VERSIONS = [3];

const REQUIRED: Record<string, string[]> = {
  artifact_snapshots: ['snapshot_id', 'artifact_path', 'version_kind', 'content_sha256', 'content_text'],
  freshness_baselines: ['target_id', 'target_kind', 'target_key_json', 'revision', 'accepted_at'],
  freshness_inputs: ['target_id', 'input_role', 'artifact_path', 'version_kind', 'accepted_snapshot_id'],
  review_freshness_evidence: ['target_id', 'evidence_review_pair_id'],
  review_pairs: ['review_pair_id', 'review_job_id', 'note_path', 'criterion_path', 'result_kind', 'outcome', 'completed_at'],
  review_jobs: ['review_job_id', 'model_partition', 'runner', 'runner_model', 'runner_effort', 'status'],
};

export type RowProblem =
  | 'unknown_schema' | 'dangling_reference' | 'snapshot_hash_mismatch' | 'path_mismatch'
  | 'bad_path' | 'bad_partition' | 'bad_value' | 'no_completed_review' | 'duplicate_pair';

export interface Problem { target_id: number | null; snapshot_id?: number; note_path?: string; gate_path?: string; reason: RowProblem; detail: string }

export interface StoreSnapshot { id: number; path: string; sha256: string; body: string }

export interface StoreBaseline {
  target_id: number;
  note_path: string; note_sha256: string;
  gate_path: string; gate_sha256: string;
  /** After --partition-map; the server resolves it through the registry. */
  model_partition: string;
  /** As the store names it. */
  source_partition: string;
  revision: number; accepted_at: string;
  outcome: 'pass' | 'warn' | 'fail' | null; result_kind: 'verdict' | 'report';
  job_id: string; runner: string | null; runner_model: string | null; runner_effort: string | null;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * How to run this same command on the Node 22 that `npm ci` put in the
 * clone (the `node` devDependency). Named by absolute paths: `npx gatehouse`
 * would start the bin with whatever `node` is first on PATH, maybe 20 again.
 */
export function sqliteHint(args: string[], clone = fileURLToPath(new URL('../..', import.meta.url))): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return `run it with the clone's Node 22: ${[join(clone, 'node_modules/.bin/node'), join(clone, 'bin/gatehouse.mjs'), ...args].map(quote).join(' ')}`;
}

/** node:sqlite prints an ExperimentalWarning on load; the CLI's output is not the place for it. */
export function loadSqlite(): { DatabaseSync: typeof DatabaseSyncType } {
  const emit = process.emitWarning;
  process.emitWarning = ((w: string | Error, ...rest: unknown[]) => {
    if (String((w as Error)?.message ?? w).includes('SQLite')) return;
    return (emit as (...a: unknown[]) => void).call(process, w, ...rest);
  }) as typeof process.emitWarning;
  try {
    return createRequire(import.meta.url)('node:sqlite');
  } catch {
    throw new CliError(`Reading a Commonplace store needs node:sqlite (Node 22.5 or later); this is Node ${process.versions.node}`, sqliteHint(process.argv.slice(2)));
  } finally {
    process.emitWarning = emit;
  }
}

export class CommonplaceStore {
  readonly userVersion: number;
  private constructor(private readonly db: DatabaseSyncType, readonly file: string) {
    this.userVersion = Number((db.prepare('pragma user_version').get() as { user_version: number }).user_version);
  }

  /** Opens read-only; refuses a file that lacks the tables and columns this reader needs. */
  static open(file: string): CommonplaceStore {
    const { DatabaseSync } = loadSqlite();
    let db: DatabaseSyncType;
    try {
      db = new DatabaseSync(file, { readOnly: true });
      db.prepare('select count(*) from sqlite_master').get();
    } catch (err) {
      throw new CliError(`${file} is not a readable SQLite file: ${(err as Error).message}`);
    }
    const missing: string[] = [];
    for (const [table, columns] of Object.entries(REQUIRED)) {
      const have = new Set((db.prepare(`pragma table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
      if (have.size === 0) missing.push(`table ${table}`);
      else for (const c of columns) if (!have.has(c)) missing.push(`column ${table}.${c}`);
    }
    if (missing.length > 0) {
      db.close();
      throw new CliError(`${file} is not a Commonplace review store this version can read (unknown schema: no ${missing.join(', ')}); nothing was imported`,
        'it must be the SQLite store Commonplace\'s review commands write');
    }
    return new CommonplaceStore(db, file);
  }

  close() { this.db.close(); }

  counts() {
    const one = (q: string) => Number((this.db.prepare(q).get() as { n: number }).n);
    return {
      baselines: one('select count(*) as n from freshness_baselines'),
      snapshots: one('select count(*) as n from artifact_snapshots where snapshot_id in (select accepted_snapshot_id from freshness_inputs)'),
    };
  }

  /**
   * The texts baselines use, a page at a time, each checked against its
   * recorded hash and path rules. Bad ones come back as problems; the
   * caller remembers their ids (few) to refuse the baselines that use them.
   */
  *snapshotPages(size: number): Generator<{ good: StoreSnapshot[]; bad: Problem[] }> {
    const stmt = this.db.prepare(`
      select snapshot_id as id, artifact_path as path, version_kind, content_sha256 as sha256, content_text as body
      from artifact_snapshots
      where snapshot_id > ? and snapshot_id in (select accepted_snapshot_id from freshness_inputs)
      order by snapshot_id limit ?`);
    let after = -Infinity;
    for (;;) {
      const rows = stmt.all(after === -Infinity ? -1 : after, size) as unknown as (StoreSnapshot & { version_kind: string })[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1].id;
      const good: StoreSnapshot[] = [];
      const bad: Problem[] = [];
      for (const r of rows) {
        const problem = r.version_kind !== 'file-text' ? { reason: 'unknown_schema' as const, detail: `snapshot ${r.id} has version_kind ${r.version_kind}` }
          : typeof r.body !== 'string' ? { reason: 'unknown_schema' as const, detail: `snapshot ${r.id} has no text` }
            : pathProblem(r.path) ? { reason: 'bad_path' as const, detail: `snapshot ${r.id}: ${r.path} ${pathProblem(r.path)}` }
              : sha256(r.body) !== r.sha256 ? { reason: 'snapshot_hash_mismatch' as const, detail: `snapshot ${r.id} of ${r.path}: its text hashes to ${sha256(r.body)}, not the recorded ${r.sha256}` }
                : null;
        if (problem) bad.push({ target_id: null, snapshot_id: r.id, ...problem });
        else good.push({ id: r.id, path: r.path, sha256: r.sha256, body: r.body });
      }
      yield { good, bad };
    }
  }

  /** Baselines a page at a time: importable ones, and the rest with why. */
  *baselinePages(size: number, badSnapshots: Map<number, Problem>, rename: (p: string) => string): Generator<{ rows: StoreBaseline[]; problems: Problem[] }> {
    const stmt = this.db.prepare(`
      select b.target_id, b.target_kind, b.target_key_json, b.revision, b.accepted_at,
             ni.accepted_snapshot_id as note_snapshot, ni.artifact_path as note_input_path, ni.version_kind as note_kind,
             ci.accepted_snapshot_id as gate_snapshot, ci.artifact_path as gate_input_path, ci.version_kind as gate_kind,
             ns.snapshot_id as note_found, ns.artifact_path as note_snapshot_path, ns.content_sha256 as note_sha256,
             cs.snapshot_id as gate_found, cs.artifact_path as gate_snapshot_path, cs.content_sha256 as gate_sha256,
             e.evidence_review_pair_id as evidence, rp.review_pair_id as pair_found, rp.note_path as rp_note, rp.criterion_path as rp_gate,
             rp.result_kind, rp.outcome, rp.completed_at, j.review_job_id as job_id, j.model_partition as job_partition,
             j.status as job_status, j.runner, j.runner_model, j.runner_effort
      from freshness_baselines b
      left join freshness_inputs ni on ni.target_id = b.target_id and ni.input_role = 'note'
      left join freshness_inputs ci on ci.target_id = b.target_id and ci.input_role = 'criterion'
      left join artifact_snapshots ns on ns.snapshot_id = ni.accepted_snapshot_id
      left join artifact_snapshots cs on cs.snapshot_id = ci.accepted_snapshot_id
      left join review_freshness_evidence e on e.target_id = b.target_id
      left join review_pairs rp on rp.review_pair_id = e.evidence_review_pair_id
      left join review_jobs j on j.review_job_id = rp.review_job_id
      where b.target_id > ? order by b.target_id limit ?`);
    let after = -1;
    for (;;) {
      const raw = stmt.all(after, size) as Record<string, any>[];
      if (raw.length === 0) return;
      after = Number(raw[raw.length - 1].target_id);
      const rows: StoreBaseline[] = [];
      const problems: Problem[] = [];
      const seen = new Set<string>();
      for (const r of raw) {
        const judged = judgeBaseline(r, badSnapshots, rename);
        if ('reason' in judged) { problems.push(judged); continue; }
        // Two source partitions renamed onto one: the first wins, the second is reported.
        const key = `${judged.note_path}\u0000${judged.gate_path}\u0000${judged.model_partition}`;
        if (seen.has(key)) {
          problems.push({ target_id: judged.target_id, note_path: judged.note_path, gate_path: judged.gate_path, reason: 'duplicate_pair', detail: `another baseline of this batch is the same pair under ${judged.model_partition} (check --partition-map)` });
          continue;
        }
        seen.add(key);
        rows.push(judged);
      }
      yield { rows, problems };
    }
  }
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** One baseline row: what it says, or why it cannot be imported. */
function judgeBaseline(r: Record<string, any>, badSnapshots: Map<number, Problem>, rename: (p: string) => string): StoreBaseline | Problem {
  const id = Number(r.target_id);
  let key: { note_path?: unknown; criterion_path?: unknown; model_partition?: unknown };
  try { key = JSON.parse(r.target_key_json); } catch { key = {}; }
  const note = typeof key.note_path === 'string' ? key.note_path : undefined;
  const gate = typeof key.criterion_path === 'string' ? key.criterion_path : undefined;
  const fail = (reason: RowProblem, detail: string): Problem => ({ target_id: id, note_path: note, gate_path: gate, reason, detail });
  if (r.target_kind !== 'review-pair') return fail('unknown_schema', `target kind ${r.target_kind} is not a review pair`);
  if (!note || !gate || typeof key.model_partition !== 'string') return fail('unknown_schema', `target key ${String(r.target_key_json).slice(0, 200)} lacks note_path, criterion_path or model_partition`);
  for (const [role, kind] of [['note', r.note_kind], ['criterion', r.gate_kind]]) {
    if (kind !== null && kind !== 'file-text') return fail('unknown_schema', `the ${role} input has version_kind ${kind}`);
  }
  if (r.note_snapshot === null) return fail('dangling_reference', 'the baseline has no note input');
  if (r.gate_snapshot === null) return fail('dangling_reference', 'the baseline has no criterion input');
  if (r.note_found === null) return fail('dangling_reference', `the note input references snapshot ${r.note_snapshot}, which the store does not hold`);
  if (r.gate_found === null) return fail('dangling_reference', `the criterion input references snapshot ${r.gate_snapshot}, which the store does not hold`);
  for (const s of [Number(r.note_snapshot), Number(r.gate_snapshot)]) {
    const bad = badSnapshots.get(s);
    if (bad) return fail(bad.reason, bad.detail);
  }
  if (r.note_input_path !== note || r.note_snapshot_path !== note) return fail('path_mismatch', `the note input or its snapshot is for ${r.note_snapshot_path}, not ${note}`);
  if (r.gate_input_path !== gate || r.gate_snapshot_path !== gate) return fail('path_mismatch', `the criterion input or its snapshot is for ${r.gate_snapshot_path}, not ${gate}`);
  if (r.evidence === null) return fail('dangling_reference', 'the baseline has no review evidence');
  if (r.pair_found === null) return fail('dangling_reference', `the evidence references review pair ${r.evidence}, which the store does not hold`);
  if (r.job_id === null) return fail('dangling_reference', 'the evidence\'s review pair references a job the store does not hold');
  // The view's own conditions: a completed review of this very pair, under this partition.
  if (r.rp_note !== note || r.rp_gate !== gate || r.job_partition !== key.model_partition) return fail('no_completed_review', `review pair ${r.evidence} is for another pair or partition`);
  if (r.job_status !== 'completed' || r.completed_at === null || (r.result_kind === 'verdict' && r.outcome === null)) return fail('no_completed_review', `review pair ${r.evidence} (job ${r.job_id}) did not complete`);
  const partition = rename(key.model_partition);
  if (!PARTITION_PATTERN.test(partition)) return fail('bad_partition', `${partition} is not a valid model partition name (rename it with --partition-map)`);
  for (const p of [note, gate]) if (pathProblem(p)) return fail('bad_path', `${p} ${pathProblem(p)}`);
  if (!ISO_TIME.test(String(r.accepted_at)) || Number.isNaN(Date.parse(r.accepted_at))) return fail('bad_value', `accepted_at ${r.accepted_at} is not an ISO 8601 time with an offset`);
  if (key.model_partition.length > 200) return fail('bad_value', 'the model partition is over 200 characters');
  for (const [name, value, max] of [['runner', r.runner, 200], ['runner_model', r.runner_model, 200], ['runner_effort', r.runner_effort, 64]] as const) {
    if (typeof value === 'string' && value.length > max) return fail('bad_value', `${name} is over ${max} characters`);
  }
  return {
    target_id: id, note_path: note, note_sha256: r.note_sha256, gate_path: gate, gate_sha256: r.gate_sha256,
    model_partition: partition, source_partition: key.model_partition, revision: Number(r.revision), accepted_at: r.accepted_at,
    outcome: r.outcome, result_kind: r.result_kind, job_id: String(r.job_id),
    runner: r.runner || null, runner_model: r.runner_model || null, runner_effort: r.runner_effort || null,
  };
}
