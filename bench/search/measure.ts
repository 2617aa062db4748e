// The measurement of one data set: the production vector ranking (the
// statement src/search/search.ts issues, in a tenant transaction with the
// settings search() makes) against the exact scan of the same statement.
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { rowsOf, type Database, withTenant } from '../../src/platform/db.js';
import { hnswSettings, hybridStatement, type SearchRequest, vectorCandidates } from '../../src/search/search.js';
import { fmtMs, median, now, percentile } from '../freshness/lib.js';
import { DIMS } from './data.js';

export const K = 10;
export const GOAL_RECALL = 0.95;
export const GOAL_SPEEDUP = 10;
/** What search() takes from the index (and sets hnsw.ef_search to) for k = 10. */
export const APP_EF = vectorCandidates(K);

export type Method = { kind: 'exact' } | { kind: 'bare' } | { kind: 'hnsw'; ef: number };
/** `main`: a superuser connection to the same database, for the bare exact scan. */
export interface Scope { db: Database; main: pg.Client; orgId: string; projectId: string; model: string }
export interface Timed { ids: string[]; stmtMs: number; txMs: number }

const REQ: SearchRequest = { query: 'bench', k: K, mode: 'vector' };

export function fail(message: string): never {
  throw new Error(`CORRECTNESS FAILURE: ${message}`);
}

/**
 * One search's vector ranking, as search() runs it: hybridStatement in mode
 * vector under RLS in a withTenant transaction, with hnswSettings. The exact
 * scan is the same statement with index scans off (HNSW has no bitmap scan,
 * so the embeddings are read sequentially; the subject filter still probes
 * its primary keys by bitmap scans). "stmt" times the statement's round trip
 * alone, "tx" the whole transaction.
 */
export async function rank(s: Scope, method: Method, vector: number[], explain = ''): Promise<Timed & { plan: string }> {
  if (method.kind === 'bare') return bare(s, vector, explain);
  let stmtMs = 0;
  const t0 = now();
  const rows = await withTenant(s.db, { orgId: s.orgId }, async (tx) => {
    if (method.kind === 'exact') await tx.execute(sql`set local enable_indexscan = off`);
    else await tx.execute(hnswSettings(K, method.ef));
    const statement = hybridStatement(s.projectId, REQ, null, s.model, DIMS, vector, method.kind === 'exact' ? APP_EF : method.ef);
    const s0 = now();
    const r = rowsOf<Record<string, string>>(await tx.execute(explain ? sql`${sql.raw(explain)} ${statement}` : statement));
    stmtMs = now() - s0;
    return r;
  });
  const txMs = now() - t0;
  if (explain) return { ids: [], stmtMs, txMs, plan: rows.map((r) => r['QUERY PLAN'].replace(/'\[[^\]]*\]'/g, "'[…]'")).join('\n') };
  return { ids: rows.map((r) => r.id), stmtMs, txMs, plan: '' };
}

/**
 * The exact scan at its fastest, for reference: the bare nearest-neighbour
 * statement as the superuser (no RLS, no subject filter, LIMIT 10), where
 * PostgreSQL runs a parallel sequential scan. The goal is judged against the
 * faster of the two exact scans.
 */
async function bare(s: Scope, vector: number[], explain: string): Promise<Timed & { plan: string }> {
  const statement = `${explain} select e.subject_id::text as id from embeddings e
    where e.project_id = $1::uuid and e.dims = ${DIMS} and e.model = $2
    order by (e.embedding::vector(${DIMS})) <=> $3::vector(${DIMS}) limit ${K}`;
  const t0 = now();
  await s.main.query('begin');
  try {
    await s.main.query('set local enable_indexscan = off');
    await s.main.query('set local enable_bitmapscan = off');
    const s0 = now();
    const res = await s.main.query(statement, [s.projectId, s.model, `[${vector.join(',')}]`]);
    const stmtMs = now() - s0;
    await s.main.query('commit');
    const plan = explain ? res.rows.map((r) => String(r['QUERY PLAN']).replace(/'\[[^\]]*\]'/g, "'[…]'")).join('\n') : '';
    return { ids: explain ? [] : res.rows.map((r) => r.id as string), stmtMs, txMs: now() - t0, plan };
  } catch (err) {
    await s.main.query('rollback').catch(() => {});
    throw err;
  }
}

/** How many of the exact top K the method found (an integer, so the mean is exact). */
export function hitsOf(got: string[], exact: string[]): number {
  if (exact.length !== K) fail(`the exact scan returned ${exact.length} rows`);
  const want = new Set(exact);
  return got.filter((id) => want.has(id)).length;
}

export interface SweepRow { label: string; ef: number | null; recall: number | null; stmt: number[]; tx: number[] }

export const qps = (latencies: number[]) => (latencies.length * 1000) / latencies.reduce((s, x) => s + x, 0);
export const fmtQps = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
/** The faster exact scan's QPS: the yardstick of the goal. */
export const exactQps = (rows: SweepRow[]) => Math.max(...rows.filter((r) => r.ef === null).map((r) => qps(r.stmt)));
export const meets = (r: SweepRow, rows: SweepRow[]) => r.recall !== null && r.recall >= GOAL_RECALL && qps(r.stmt) >= GOAL_SPEEDUP * exactQps(rows);

/**
 * The exact scan and every ef_search, interleaved query by query so load
 * changes hit all alike; the first `warmup` queries are not counted.
 */
export async function sweep(s: Scope, label: string, efs: number[], vectors: number[][], warmup: number): Promise<SweepRow[] & { disagreements: number }> {
  const methods: Method[] = [{ kind: 'exact' }, { kind: 'bare' }, ...efs.map((ef) => ({ kind: 'hnsw' as const, ef }))];
  const labels = { exact: 'exact scan, app statement', bare: 'exact scan, bare (superuser)' };
  const rows: SweepRow[] = methods.map((m) => ({ label: m.kind === 'hnsw' ? label : labels[m.kind], ef: m.kind === 'hnsw' ? m.ef : null, recall: null, stmt: [], tx: [] }));
  const hits = methods.map(() => [] as number[]);
  let disagreements = 0;
  for (const [qi, vector] of vectors.entries()) {
    let exact: string[] = [];
    for (const [mi, method] of methods.entries()) {
      const r = await rank(s, method, vector);
      if (r.ids.length !== K) fail(`query ${qi} (${method.kind}) returned ${r.ids.length} rows`);
      if (method.kind === 'exact') exact = r.ids;
      // Both exact scans should find the same ten (up to ties in distance).
      if (method.kind === 'bare' && hitsOf(r.ids, exact) !== K) disagreements++;
      if (qi < warmup) continue;
      rows[mi].stmt.push(r.stmtMs);
      rows[mi].tx.push(r.txMs);
      hits[mi].push(hitsOf(r.ids, exact));
    }
  }
  for (const [mi, m] of methods.entries()) if (m.kind === 'hnsw') rows[mi].recall = hits[mi].reduce((a, b) => a + b, 0) / (K * hits[mi].length);
  return Object.assign(rows, { disagreements });
}

export function printSweep(report: (line: string) => void, rows: SweepRow[]) {
  const exact = rows[0];
  const best = exactQps(rows);
  const head = ['method', 'ef_search', 'recall@10', 'QPS', 'median', 'p95', 'vs app exact', 'vs faster exact', 'tx QPS', 'tx vs app exact', 'goal'];
  const body = rows.map((r) => [
    r.label, r.ef === null ? '—' : String(r.ef), r.recall === null ? '(truth)' : r.recall.toFixed(3), fmtQps(qps(r.stmt)), fmtMs(median(r.stmt)), fmtMs(percentile(r.stmt, 95)),
    `${(qps(r.stmt) / qps(exact.stmt)).toFixed(1)}×`, `${(qps(r.stmt) / best).toFixed(1)}×`, fmtQps(qps(r.tx)), `${(qps(r.tx) / qps(exact.tx)).toFixed(1)}×`, r.recall === null ? '' : meets(r, rows) ? 'PASS' : 'miss',
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => `   ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}`.trimEnd();
  report(line(head));
  report(`   ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const b of body) report(line(b));
}

/** Wall-clock QPS of `clients` concurrent callers over the app's pool. */
export async function concurrent(s: Scope, method: Method, vectors: number[][], clients: number): Promise<number> {
  const t0 = now();
  await Promise.all(Array.from({ length: clients }, async (_, ci) => {
    for (let qi = ci; qi < vectors.length; qi += clients) {
      const r = await rank(s, method, vectors[qi]);
      if (r.ids.length !== K) fail(`concurrent query returned ${r.ids.length} rows`);
    }
  }));
  return (vectors.length * 1000) / (now() - t0);
}
