// npm run bench:search [-- --datasets uniform,lowrank] [--rows 100000] [--queries 200]
//                         [--ef 40,64,100,200,400] [--variants "m=24,ef_construction=128;m=32,ef_construction=200"] [--skip-corpus]
//
// The vector ranking of search on PostgreSQL: 100,000 × 384-d unit vectors
// in `embeddings`, indexed by the migration's own partial HNSW index
// (embeddings_hnsw_384). For each data set, in one run:
//   A. recall@10 of the HNSW path against the exact scan (the same statement
//      with index scans disabled) over 200 query vectors, and queries per
//      second of both, over an ef_search sweep;
//   B. the app's own statement (hybridStatement, tenant transaction, RLS)
//      beside a proposed form of it (proposal.ts);
//   C. the drain's pending check that search() runs first on every call;
//   D. 4 concurrent clients;
//   and optionally index variants (m, ef_construction) on the same rows.
// Last, a text sanity check on the commonplace-kb corpus through
// POST /v1/projects/{p}/search. See README.md beside this file. Exits
// non-zero only on errors (a wrong plan, a wrong row count, a failed
// request); a missed goal is printed as MISS.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import { rowsOf, type Tx, withTenant } from '../../src/platform/db.js';
import { hybridStatement, type SearchRequest } from '../../src/search/search.js';
import {
  BenchServer, fmtMs, interruptedBy, median, now, openBenchDatabase, percentile, PG_ADMIN_URL, registerCleanup,
  runCleanups, sha256Hex, type BenchDatabase,
} from '../freshness/lib.js';
import { acceptPairs, analyze, insertSnapshots } from '../freshness/seed.js';
import { proposedVectorStatement } from './proposal.js';
import { DIMS, loadFromSource, loadUniform, lowRankSource, seedUniform, uniformSource, type Target, type VectorSource } from './data.js';

const { values: opts } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'uniform,lowrank' },
    rows: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '10' },
    ef: { type: 'string', default: '' },
    'app-queries': { type: 'string', default: '30' },
    'concurrent-queries': { type: 'string', default: '100' },
    'latent-dim': { type: 'string', default: '32' },
    noise: { type: 'string', default: '0.1' },
    'online-rows': { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    'maintenance-work-mem': { type: 'string', default: '1GB' },
    variants: { type: 'string', default: '' },
    'skip-corpus': { type: 'boolean', default: false },
  },
});
const DATASETS = opts.datasets.split(',').map((s) => s.trim()).filter(Boolean);
const ROWS = Number(opts.rows);
const QUERIES = Number(opts.queries);
const WARMUP = Number(opts.warmup);
const EF_DEFAULT: Record<string, number[]> = { uniform: [40, 64, 100, 200, 400, 800], lowrank: [40, 64, 100, 200, 400] };
const EF_OPT = opts.ef ? opts.ef.split(',').map(Number) : null;
const APP_QUERIES = Number(opts['app-queries']);
const CONCURRENT_QUERIES = Number(opts['concurrent-queries']);
const LATENT = Number(opts['latent-dim']);
const NOISE = Number(opts.noise);
const ONLINE = Number(opts['online-rows']);
const CONCURRENCY = Number(opts.concurrency);
const MWM = opts['maintenance-work-mem'];
const VARIANTS = opts.variants.split(';').map((s) => s.trim()).filter(Boolean).map(parseVariant);
for (const [k, v] of Object.entries({ ROWS, QUERIES, LATENT, CONCURRENCY, APP_QUERIES, CONCURRENT_QUERIES })) if (!Number.isInteger(v) || v < 1) throw new Error(`bad --${k.toLowerCase()}: ${v}`);
if (!Number.isInteger(WARMUP) || WARMUP < 0 || !Number.isInteger(ONLINE) || ONLINE < 0 || ONLINE >= ROWS) throw new Error('bad --warmup or --online-rows');
if (EF_OPT?.some((e) => !Number.isInteger(e) || e < 1 || e > 1000)) throw new Error(`bad --ef: ${opts.ef} (pgvector allows 1…1000)`);
if (!(NOISE >= 0)) throw new Error(`bad --noise: ${opts.noise}`);
for (const d of DATASETS) if (d !== 'uniform' && d !== 'lowrank') throw new Error(`unknown data set ${d} (uniform, lowrank)`);
if (!/^\d+\s*(kB|MB|GB)$/.test(MWM)) throw new Error(`bad --maintenance-work-mem: ${MWM}`);

const K = 10;
const GOAL_RECALL = 0.95;
const GOAL_SPEEDUP = 10;
/** What src/search/search.ts sets for k = 10: min(1000, max(40, k * 4)). */
const APP_EF = Math.min(1000, Math.max(40, K * 4));
const INDEX = 'embeddings_hnsw_384';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpusRoot = resolve(process.env.GATEHOUSE_BENCH_CORPUS || join(repoRoot, '../shared/corpus/commonplace-kb'));
const log = (msg: string) => console.log(`bench: ${msg}`);
const lines: string[] = [];
/** Lines of the final report, printed at the end. */
const report = (msg = '') => {
  lines.push(msg);
};

function parseVariant(text: string): { m: number; efc: number; label: string } {
  const kv = Object.fromEntries(text.split(',').map((p) => p.split('=').map((s) => s.trim())));
  const m = Number(kv.m ?? 16);
  const efc = Number(kv.ef_construction ?? 64);
  if (!Number.isInteger(m) || m < 2 || m > 100 || !Number.isInteger(efc) || efc < 4 || efc > 1000 || efc < 2 * m) throw new Error(`bad variant ${text} (m 2…100, ef_construction 4…1000 and ≥ 2·m)`);
  return { m, efc, label: `m=${m}, ef_construction=${efc}` };
}

function fail(message: string): never {
  throw new Error(`CORRECTNESS FAILURE: ${message}`);
}

const qps = (latencies: number[]) => (latencies.length * 1000) / latencies.reduce((s, x) => s + x, 0);
const fmtQps = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const planText = (rows: { 'QUERY PLAN': string }[]) => rows.map((r) => r['QUERY PLAN'].replace(/'\[[^\]]*\]'/g, "'[…]'")).join('\n');
const indent = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');

// ---------------------------------------------------------------- statements

/** The brief's vector ranking, as hybridStatement's vector_hits writes it, without the subject filter. */
const KNN = `
  select e.subject_id::text as id
  from embeddings e
  where e.project_id = $1::uuid and e.dims = ${DIMS} and e.model = $2
  order by (e.embedding::vector(${DIMS})) <=> $3::vector(${DIMS})
  limit ${K}`;

type Method = { kind: 'exact' } | { kind: 'hnsw'; ef: number };

async function settings(client: pg.Client, method: Method) {
  if (method.kind === 'exact') {
    await client.query('set local enable_indexscan = off');
    await client.query('set local enable_bitmapscan = off');
  } else {
    await client.query(`select set_config('hnsw.ef_search', $1, true)`, [String(method.ef)]);
  }
}

/** One query in its own transaction; only the statement's round trip is timed. */
async function knn(client: pg.Client, method: Method, projectId: string, model: string, q: string): Promise<{ ids: string[]; ms: number }> {
  await client.query('begin');
  try {
    await settings(client, method);
    const t0 = now();
    const res = await client.query<{ id: string }>(KNN, [projectId, model, q]);
    const ms = now() - t0;
    await client.query('commit');
    return { ids: res.rows.map((r) => r.id), ms };
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  }
}

async function explain(client: pg.Client, method: Method, projectId: string, model: string, q: string): Promise<string> {
  await client.query('begin');
  try {
    await settings(client, method);
    return planText((await client.query(`explain ${KNN}`, [projectId, model, q])).rows);
  } finally {
    await client.query('rollback');
  }
}

/** How many of the exact top K the method found (an integer, so the mean is exact). */
function hitsOf(got: string[], exact: string[]): number {
  if (exact.length !== K) fail(`the exact scan returned ${exact.length} rows`);
  const want = new Set(exact);
  return got.filter((id) => want.has(id)).length;
}

/** recall@K over all queries: total hits / (K × queries). */
const recallFrom = (hits: number[]) => hits.reduce((s, x) => s + x, 0) / (K * hits.length);

// ---------------------------------------------------------------- one data set

interface SweepRow { label: string; ef: number | null; recall: number | null; lat: number[] }

interface DatasetResult {
  name: string;
  build: { ms: number; bytes: number };
  chosen: number | null;
  exactQps: number;
}

async function runDataset(ctx: Ctx, name: 'uniform' | 'lowrank'): Promise<DatasetResult> {
  const { main, database, scope, subjects, indexDef } = ctx;
  const EFS = EF_OPT ?? EF_DEFAULT[name];
  const model = `bench/${name}-${DIMS}`;
  const target: Target = { orgId: scope.orgId, projectId: scope.projectId, model, subjects };
  const source: VectorSource = name === 'uniform' ? uniformSource(101) : lowRankSource(101, LATENT, NOISE);
  const querySource: VectorSource = name === 'uniform' ? uniformSource(202) : lowRankSource(202, LATENT, NOISE);
  report('');
  report(`=== ${name}: ${ROWS.toLocaleString('en')} × ${DIMS}-d, ${source.describe}`);
  log(`[${name}] loading ${(ROWS - ONLINE).toLocaleString('en')} rows without the HNSW index…`);

  await main.query('truncate embeddings');
  await main.query(`drop index if exists ${INDEX}`);
  let t = now();
  if (name === 'uniform') {
    await seedUniform(main, 0.42);
    await loadUniform(main, target, 0, ROWS - ONLINE);
  } else {
    await loadFromSource(main, target, source, 0, ROWS - ONLINE);
  }
  const loadMs = now() - t;
  t = now();
  await main.query('vacuum analyze embeddings');
  const vacuumMs = now() - t;

  log(`[${name}] building ${INDEX} with the migration's definition (maintenance_work_mem ${MWM})…`);
  t = now();
  await main.query(indexDef);
  const buildMs = now() - t;
  const [{ bytes }] = (await main.query<{ bytes: string }>(`select pg_relation_size('${INDEX}') as bytes`)).rows;

  // The rest go in through the index, in batches of 256 like the embedding drain.
  t = now();
  if (name === 'uniform') {
    for (let i = ROWS - ONLINE; i < ROWS; i += 256) await loadUniform(main, target, i, Math.min(ROWS, i + 256));
  } else {
    await loadFromSource(main, target, source, ROWS - ONLINE, ROWS, 256);
  }
  const onlineMs = now() - t;
  await main.query('analyze embeddings');
  const [{ n }] = (await main.query<{ n: number }>('select count(*)::int as n from embeddings where model = $1 and dims = $2', [model, DIMS])).rows;
  if (n !== ROWS) fail(`${name}: ${n} rows loaded, expected ${ROWS}`);
  const [{ norm_min, norm_max }] = (await main.query(`select min(vector_norm(embedding::vector(${DIMS}))) as norm_min, max(vector_norm(embedding::vector(${DIMS}))) as norm_max from embeddings where model = $1`, [model])).rows;
  if (Math.abs(norm_min - 1) > 1e-3 || Math.abs(norm_max - 1) > 1e-3) fail(`${name}: vector norms ${norm_min} … ${norm_max}, expected unit vectors`);
  report(`load: ${(ROWS - ONLINE).toLocaleString('en')} rows without the index ${fmtMs(loadMs)} + VACUUM ANALYZE ${fmtMs(vacuumMs)}; `
    + `CREATE INDEX (the migration's definition, m=16, ef_construction=64) ${fmtMs(buildMs)}, ${(Number(bytes) / 2 ** 20).toFixed(0)} MiB; `
    + `last ${ONLINE.toLocaleString('en')} rows through the index (batches of 256) ${fmtMs(onlineMs)} = ${(onlineMs / ONLINE).toFixed(2)} ms/row`);

  // Queries: same distribution as the data, not data points.
  const queries = Array.from({ length: WARMUP + QUERIES }, () => `[${Array.from(querySource.next()).join(',')}]`);
  const vectors = queries.map((q) => JSON.parse(q) as number[]);

  // Plans: the HNSW path must use the index, the exact scan must not.
  const hnswPlan = await explain(main, { kind: 'hnsw', ef: APP_EF }, scope.projectId, model, queries[0]);
  const exactPlan = await explain(main, { kind: 'exact' }, scope.projectId, model, queries[0]);
  if (!hnswPlan.includes(`Index Scan using ${INDEX}`)) fail(`${name}: the HNSW statement does not use ${INDEX}:\n${hnswPlan}`);
  if (exactPlan.includes(INDEX) || !/Seq Scan on embeddings/.test(exactPlan)) fail(`${name}: the exact statement is not a sequential scan:\n${exactPlan}`);
  if (name === DATASETS[0]) {
    report(`plan, HNSW path (hnsw.ef_search = ${APP_EF}):`);
    report(indent(hnswPlan));
    report('plan, exact scan (enable_indexscan = off, enable_bitmapscan = off):');
    report(indent(exactPlan));
  } else {
    report(`plans: HNSW path uses ${INDEX}; exact scan: ${exactPlan.split('\n').filter((l) => /Scan|Gather/.test(l)).map((l) => l.trim().replace(/\s+\(cost.*$/, '')).join(' ← ')}`);
  }

  // ---- A: exact scan and the ef_search sweep, interleaved query by query.
  log(`[${name}] ${QUERIES} queries (+${WARMUP} warm-up): exact scan and HNSW at ef_search ${EFS.join(', ')}, interleaved…`);
  const methods: Method[] = [{ kind: 'exact' }, ...EFS.map((ef) => ({ kind: 'hnsw' as const, ef }))];
  const lat = methods.map(() => [] as number[]);
  const rec = methods.map(() => [] as number[]);
  const exactIds: string[][] = [];
  t = now();
  for (let qi = 0; qi < queries.length; qi++) {
    let exact: string[] = [];
    for (const [mi, method] of methods.entries()) {
      const r = await knn(main, method, scope.projectId, model, queries[qi]);
      if (r.ids.length !== K) fail(`${name}: query ${qi} (${method.kind}) returned ${r.ids.length} rows`);
      if (method.kind === 'exact') exact = r.ids;
      if (qi >= WARMUP) {
        lat[mi].push(r.ms);
        rec[mi].push(hitsOf(r.ids, exact));
      }
    }
    if (qi >= WARMUP) exactIds.push(exact);
  }
  const sweepMs = now() - t;
  const exactQps = qps(lat[0]);
  const sweep: SweepRow[] = methods.map((m, i) => ({
    label: m.kind === 'exact' ? 'exact scan (seq scan)' : `HNSW ${INDEX}`,
    ef: m.kind === 'exact' ? null : m.ef,
    recall: m.kind === 'exact' ? null : recallFrom(rec[i]),
    lat: lat[i],
  }));
  const meets = (r: SweepRow) => r.recall !== null && r.recall >= GOAL_RECALL && qps(r.lat) >= GOAL_SPEEDUP * exactQps;
  const chosenRow = sweep.find(meets) ?? null;
  const chosen = chosenRow?.ef ?? null;
  report('');
  report(`A. The statement alone, superuser, sequential single client (${QUERIES} queries, interleaved; ${fmtMs(sweepMs)} in all):`);
  printSweep(sweep, exactQps);
  report(chosen === null
    ? `   Goal (recall@10 ≥ ${GOAL_RECALL} at ≥ ${GOAL_SPEEDUP}× the exact scan's QPS): *** MISS *** at every ef_search measured`
    : `   Goal (recall@10 ≥ ${GOAL_RECALL} at ≥ ${GOAL_SPEEDUP}× the exact scan's QPS): PASS from ef_search = ${chosen} (recall ${chosenRow!.recall!.toFixed(3)}, ${(qps(chosenRow!.lat) / exactQps).toFixed(1)}×)`);

  // ---- B: the app's own statement in a tenant transaction (RLS), as search() runs it, and the proposed form.
  const appEfs = [...new Set([APP_EF, ...(chosen !== null ? [chosen] : [])])];
  const appQueries = Math.min(APP_QUERIES, QUERIES);
  log(`[${name}] the app's statement (hybridStatement, mode vector, k ${K}) and the proposed form in tenant transactions, ${appQueries} queries…`);
  const req: SearchRequest = { query: 'bench', k: K, mode: 'vector' };
  type AppForm = { label: string; ef: number; stmt: (v: number[]) => SQL };
  const forms: AppForm[] = [
    { label: 'app statement (current)', ef: APP_EF, stmt: (v) => hybridStatement(scope.projectId, req, null, model, DIMS, v) },
    ...appEfs.map((ef) => ({ label: 'proposed form', ef, stmt: (v: number[]) => proposedVectorStatement(scope.projectId, K, model, DIMS, v, ef) })),
  ];
  const inTenant = <T>(ef: number, fn: (tx: Tx) => Promise<T>) => withTenant(database.db, { orgId: scope.orgId }, async (tx) => {
    await tx.execute(sql`select set_config('hnsw.ef_search', ${String(ef)}, true)`);
    return fn(tx);
  });
  const analyzed = await Promise.all(forms.slice(0, 2).map(async (f) => planText(rowsOf(await inTenant(f.ef, (tx) => tx.execute(sql`explain (analyze, buffers, costs off) ${f.stmt(vectors[1])}`))))));
  for (const [fi, plan] of analyzed.entries()) if (!plan.includes(`Index Scan using ${INDEX}`)) fail(`${name}: ${forms[fi].label} does not use ${INDEX}:\n${plan}`);
  const fLat = forms.map(() => [] as number[]);
  const fStmt = forms.map(() => [] as number[]);
  const fRec = forms.map(() => [] as number[]);
  let differ = 0;
  for (let qi = 0; qi < WARMUP + appQueries; qi++) {
    let current: string[] = [];
    for (const [fi, f] of forms.entries()) {
      const t0 = now();
      let stmtMs = 0;
      const rows = await inTenant(f.ef, async (tx) => {
        const s0 = now();
        const r = rowsOf<{ id: string }>(await tx.execute(f.stmt(vectors[qi])));
        stmtMs = now() - s0;
        return r;
      });
      const ms = now() - t0;
      if (rows.length !== K) fail(`${name}: ${f.label} returned ${rows.length} rows for query ${qi}`);
      const ids = rows.map((r) => r.id);
      if (fi === 0) current = ids;
      else if (f.ef === APP_EF && ids.join() !== current.join()) differ++;
      if (qi >= WARMUP) {
        fLat[fi].push(ms);
        fStmt[fi].push(stmtMs);
        fRec[fi].push(hitsOf(ids, exactIds[qi - WARMUP]));
      }
    }
  }
  report('');
  report(`B. The app's vector ranking as search() runs it: hybridStatement (mode vector, k ${K}, subject filter, RRF over depth ${Math.max(K * 4, 40)}) under RLS in a tenant transaction,`);
  report(`   beside the proposed form (bench/search/proposal.ts: nearest ef_search rows first, subject filter on those). First ${appQueries} of the queries (after ${WARMUP} warm-up).`);
  report(`   "stmt" times the statement alone; "tx" the whole withTenant call (BEGIN, set_config ×2, SET ROLE, set_config ef_search, statement, COMMIT); "vs exact" against A's exact scan.`);
  printSweep(forms.flatMap((f, i) => {
    const recall = recallFrom(fRec[i]);
    return [{ label: `${f.label}, stmt`, ef: f.ef, recall, lat: fStmt[i] }, { label: `${f.label}, tx`, ef: f.ef, recall, lat: fLat[i] }];
  }), exactQps, false);
  report(`   top ${K} of the proposed form at ef_search ${APP_EF} = the current statement's: ${differ === 0 ? `identical for all ${WARMUP + appQueries} queries` : `*** differs for ${differ} of ${WARMUP + appQueries} queries ***`}`);
  if (name === DATASETS[0]) {
    report(`   EXPLAIN (ANALYZE, BUFFERS) of the current statement, one query, ef_search ${APP_EF}:`);
    report(indent(analyzed[0]));
    report('   … and of the proposed form:');
    report(indent(analyzed[1]));
  } else {
    const hashed = (p: string) => (/Seq Scan on snapshots/.test(p) ? "hashes all the project's notes and acceptances" : /Index Scan using snapshots_pkey/.test(p) ? 'probes each candidate by primary key' : 'see the plan');
    const exec = (p: string) => p.match(/Execution Time: ([\d.]+ ms)/)?.[1] ?? '?';
    report(`   EXPLAIN ANALYZE: current ${hashed(analyzed[0])}, ${exec(analyzed[0])}; proposed ${hashed(analyzed[1])}, ${exec(analyzed[1])}`);
  }

  // ---- C: the embedding drain's pending check, which search() runs first on every call with a gatehouse/ embedder.
  const drainCheck = (tx: Tx) => tx.execute(sql`
    (select 'job_item' as kind, i.id, i.artifact as text from review_job_items i
      where i.project_id = ${scope.projectId} and i.artifact is not null
        and not exists (select 1 from embeddings e where e.subject_kind = 'job_item' and e.subject_id = i.id and e.model = ${model})
      limit 256)
    union all
    (select 'snapshot', s.id, s.body from snapshots s
      where s.project_id = ${scope.projectId}
        and exists (select 1 from acceptance_current c where c.note_snapshot_id = s.id)
        and not exists (select 1 from embeddings e where e.subject_kind = 'snapshot' and e.subject_id = s.id and e.model = ${model})
      limit 256)`);
  const drainMs: number[] = [];
  for (let r = 0; r < 12; r++) {
    const t0 = now();
    const pending = rowsOf(await inTenant(APP_EF, drainCheck)).length;
    if (pending !== 0) fail(`${name}: the drain check found ${pending} pending rows, expected none`);
    if (r >= 2) drainMs.push(now() - t0);
  }
  report('');
  report(`C. The drain's pending check (src/search/embed-queue.ts drainProject's SELECT, nothing pending, ${ROWS.toLocaleString('en')} notes), which search() runs before the ranking on every call`);
  report(`   when the embedder is gatehouse/*: median ${fmtMs(median(drainMs))} (${fmtMs(Math.min(...drainMs))} … ${fmtMs(Math.max(...drainMs))}, 10 tenant transactions)`);

  // ---- D: concurrent clients.
  if (CONCURRENCY > 1) {
    const cm: Method[] = [{ kind: 'exact' }, ...appEfs.map((ef) => ({ kind: 'hnsw' as const, ef }))];
    log(`[${name}] ${CONCURRENCY} concurrent clients: ${cm.map((m) => (m.kind === 'exact' ? 'exact' : `HNSW ef ${m.ef}`)).join(', ')}…`);
    const timed = queries.slice(WARMUP, WARMUP + Math.min(QUERIES, CONCURRENT_QUERIES));
    const results: { label: string; qps: number }[] = [];
    for (const method of cm) {
      const t0 = now();
      await Promise.all(ctx.clients.slice(0, CONCURRENCY).map(async (client, ci) => {
        for (let qi = ci; qi < timed.length; qi += CONCURRENCY) {
          const r = await knn(client, method, scope.projectId, model, timed[qi]);
          if (r.ids.length !== K) fail(`${name}: concurrent query returned ${r.ids.length} rows`);
        }
      }));
      results.push({ label: method.kind === 'exact' ? 'exact scan' : `HNSW, ef_search ${method.ef}`, qps: (timed.length * 1000) / (now() - t0) });
    }
    report('');
    report(`D. ${CONCURRENCY} concurrent clients (the statement of A, ${timed.length} queries split between them, wall-clock QPS):`);
    for (const r of results) report(`   ${r.label.padEnd(22)} ${fmtQps(r.qps).padStart(7)} q/s   ${(r.qps / results[0].qps).toFixed(1)}× the exact scan`);
  }

  // ---- Variants of the index on the same rows (replacing the production index for the measurement).
  for (const v of VARIANTS) {
    const vname = `${INDEX}_m${v.m}_efc${v.efc}`;
    const def = indexDef.replace(` ${INDEX} `, ` ${vname} `).replace(/\s+WHERE\s/, ` WITH (m = ${v.m}, ef_construction = ${v.efc}) WHERE `);
    if (!def.includes(vname) || !def.includes('WITH (m =')) fail(`could not derive the variant's definition from ${indexDef}`);
    log(`[${name}] variant ${v.label}: dropping ${INDEX}, building ${vname}…`);
    await main.query(`drop index if exists ${INDEX}`);
    t = now();
    await main.query(def);
    const vBuild = now() - t;
    const [{ bytes: vBytes }] = (await main.query<{ bytes: string }>(`select pg_relation_size('${vname}') as bytes`)).rows;
    const vPlan = await explain(main, { kind: 'hnsw', ef: APP_EF }, scope.projectId, model, queries[0]);
    if (!vPlan.includes(`Index Scan using ${vname}`)) fail(`variant ${vname} not used:\n${vPlan}`);
    const vMethods: Method[] = [{ kind: 'exact' }, ...EFS.map((ef) => ({ kind: 'hnsw' as const, ef }))];
    const vLat = vMethods.map(() => [] as number[]);
    const vRec = vMethods.map(() => [] as number[]);
    for (let qi = 0; qi < queries.length; qi++) {
      let exact: string[] = [];
      for (const [mi, method] of vMethods.entries()) {
        const r = await knn(main, method, scope.projectId, model, queries[qi]);
        if (method.kind === 'exact') exact = r.ids;
        if (qi >= WARMUP) {
          vLat[mi].push(r.ms);
          vRec[mi].push(hitsOf(r.ids, exact));
        }
      }
    }
    const vExact = qps(vLat[0]);
    report('');
    report(`Variant ${v.label} (${vname}, same expression and predicate): CREATE INDEX ${fmtMs(vBuild)}, ${(Number(vBytes) / 2 ** 20).toFixed(0)} MiB`);
    const vSweep: SweepRow[] = vMethods.map((m, i) => ({ label: m.kind === 'exact' ? 'exact scan (seq scan)' : vname, ef: m.kind === 'exact' ? null : m.ef, recall: m.kind === 'exact' ? null : recallFrom(vRec[i]), lat: vLat[i] }));
    printSweep(vSweep, vExact);
    const vOk = vSweep.find((r) => r.recall !== null && r.recall >= GOAL_RECALL && qps(r.lat) >= GOAL_SPEEDUP * vExact);
    report(`   Goal: ${vOk ? `PASS from ef_search = ${vOk.ef}` : '*** MISS *** at every ef_search measured'}`);
    await main.query(`drop index ${vname}`);
  }
  return { name, build: { ms: buildMs, bytes: Number(bytes) }, chosen, exactQps };
}

function printSweep(rows: SweepRow[], exactQps: number, withGoal = true) {
  const head = ['method', 'ef_search', 'recall@10', 'QPS', 'median', 'p95', 'vs exact', ...(withGoal ? ['goal'] : [])];
  const body = rows.map((r) => {
    const q = qps(r.lat);
    const ok = r.recall !== null && r.recall >= GOAL_RECALL && q >= GOAL_SPEEDUP * exactQps;
    return [r.label, r.ef === null ? '—' : String(r.ef), r.recall === null ? '(truth)' : r.recall.toFixed(3), fmtQps(q), fmtMs(median(r.lat)), fmtMs(percentile(r.lat, 95)),
      r.ef === null && r.label.startsWith('exact') ? '1.0×' : `${(q / exactQps).toFixed(1)}×`, ...(withGoal ? [r.recall === null ? '' : ok ? 'PASS' : 'miss'] : [])];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => `   ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}`.trimEnd();
  report(line(head));
  report(`   ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const b of body) report(line(b));
}

// ---------------------------------------------------------------- the corpus, through the API

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile() && entry.name.endsWith('.md')) out.push(full);
  }
  return out;
}

async function corpusCheck(ctx: Ctx): Promise<boolean> {
  const { server, database, token, orgId } = ctx;
  log(`corpus: ${corpusRoot}`);
  const project = await server.createProject(token, 'commonplace-kb');
  const read = async (root: string) => Promise.all((await walk(join(corpusRoot, root))).sort().map(async (full) => {
    const body = await readFile(full, 'utf8');
    return { path: relative(corpusRoot, full).split(sep).join('/'), body, sha256: sha256Hex(body) };
  }));
  const notes = await read('kb/notes');
  const gates = await read('kb/instructions/review-gates');
  if (notes.length === 0 || gates.length === 0) throw new Error(`corpus: found ${notes.length} notes and ${gates.length} gates under ${corpusRoot}/kb`);
  let t = now();
  let batch: typeof notes = [];
  let size = 0;
  const send = async () => {
    if (batch.length === 0) return;
    await server.expect('POST', `/v1/projects/${project.slug}/snapshots`, token, { files: batch }, 200);
    batch = [];
    size = 0;
  };
  for (const f of [...notes, ...gates]) {
    if (batch.length === 1000 || size + f.body.length > 6 * 1024 * 1024) await send();
    batch.push(f);
    size += f.body.length;
  }
  await send();
  const uploadMs = now() - t;
  // Notes are searchable once some acceptance uses them: accept every pair by SQL.
  const manifest = (files: typeof notes) => files.map(({ path, sha256 }) => ({ path, sha256 }));
  await acceptPairs(database.db, { orgId, projectId: project.id }, 'claude-opus-4/high', manifest(notes), manifest(gates));
  await analyze(database.db);

  const searchPath = `/v1/projects/${project.slug}/search`;
  const embedded = async () => rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from embeddings where project_id = ${project.id}::uuid`))[0].n;
  const titleOf = (body: string) => body.match(/^# (.+)$/m)?.[1].trim() ?? null;

  // The first searches embed pending notes themselves (a bounded batch per call).
  const drains: string[] = [];
  for (let call = 1; call <= 5; call++) {
    const before = await embedded();
    t = now();
    await server.expect('POST', searchPath, token, { query: titleOf(notes[0].body) ?? 'note', k: K, mode: 'hybrid' }, 200);
    const ms = now() - t;
    const after = await embedded();
    drains.push(`call ${call}: ${fmtMs(ms)}, embedded ${after - before} (${after}/${notes.length})`);
    if (after === before) break;
  }
  if ((await embedded()) !== notes.length) fail(`corpus: ${await embedded()} of ${notes.length} notes embedded after ${drains.length} search calls`);

  const picks = [0, 1, 2, 3, 4].map((i) => notes[Math.floor(((i + 0.5) * notes.length) / 5)]);
  const table: string[][] = [];
  const times: number[] = [];
  let ok = true;
  let firstInHybrid = 0;
  for (const note of picks) {
    const title = titleOf(note.body);
    if (!title) throw new Error(`corpus: ${note.path} has no "# " title`);
    const row = [title.length > 60 ? `${title.slice(0, 57)}…` : title];
    for (const mode of ['text', 'vector', 'hybrid'] as const) {
      t = now();
      const answer = await server.expect('POST', searchPath, token, { query: title, k: K, mode }, 200);
      times.push(now() - t);
      const rank = answer.results.findIndex((r: { note_path: string | null }) => r.note_path === note.path) + 1;
      if (rank === 0) ok = false;
      if (mode === 'hybrid' && rank === 1) firstInHybrid++;
      row.push(rank === 0 ? `not in top ${K}` : `#${rank}`);
    }
    table.push(row);
  }
  report('');
  report(`=== corpus: ${notes.length} notes + ${gates.length} gates of commonplace-kb, uploaded through POST /snapshots in ${fmtMs(uploadMs)}; every pair accepted by SQL`);
  report(`first searches embed pending notes with the offline embedder: ${drains.join('; ')}`);
  report(`rank of the note whose title is the query (POST ${searchPath.replace(project.slug, '{p}')}, k ${K}):`);
  const widths = [Math.max(5, ...table.map((r) => r[0].length)), 14, 14, 14];
  report(`   ${['title', 'text', 'vector', 'hybrid'].map((h, i) => h.padEnd(widths[i])).join('  ')}`);
  for (const r of table) report(`   ${r.map((c, i) => c.padEnd(widths[i])).join('  ')}`);
  report(`   search call over loopback HTTP: median ${fmtMs(median(times))} (p95 ${fmtMs(percentile(times, 95))}, ${times.length} calls)`);
  report(`   sanity (each note in the top ${K} in every mode): ${ok ? 'PASS' : '*** MISS ***'}; first in hybrid for ${firstInHybrid} of ${picks.length}`);
  return ok;
}

// ---------------------------------------------------------------- main

interface Ctx {
  database: BenchDatabase;
  server: BenchServer;
  main: pg.Client;
  clients: pg.Client[];
  scope: { orgId: string; projectId: string };
  orgId: string;
  token: string;
  subjects: string[];
  indexDef: string;
}

async function main() {
  const started = now();
  const loadStart = loadavg().map((x) => x.toFixed(2)).join(' ');
  if (!opts['skip-corpus'] && !existsSync(join(corpusRoot, 'kb/notes'))) {
    throw new Error(`the corpus is missing: no ${corpusRoot}/kb/notes (set GATEHOUSE_BENCH_CORPUS, or pass --skip-corpus)`);
  }
  log('opening a scratch PostgreSQL database…');
  const database = await openBenchDatabase('pg', 4);
  registerCleanup(database.close);
  const server = await BenchServer.start(database, { maxBodyBytes: 32 * 1024 * 1024 });
  registerCleanup(() => server.close());

  // Our own connections to the same scratch database (session settings, setseed).
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/gatehouse_bench_${process.pid}`;
  url.searchParams.set('sslmode', 'disable');
  const clients: pg.Client[] = [];
  registerCleanup(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  });
  for (let i = 0; i < Math.max(1, CONCURRENCY); i++) {
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    clients.push(c);
  }
  const main = clients[0];
  const serverMwm = (await main.query<{ v: string }>('select current_setting($1) as v', ['maintenance_work_mem'])).rows[0].v;
  await main.query(`set maintenance_work_mem = '${MWM}'`);

  const info = Object.fromEntries((await main.query<{ k: string; v: string }>(`
    select 'pg' as k, current_setting('server_version') as v union all
    select 'pgvector', extversion from pg_extension where extname = 'vector' union all
    select 'shared_buffers', current_setting('shared_buffers') union all
    select 'work_mem', current_setting('work_mem') union all
    select 'par_maint', current_setting('max_parallel_maintenance_workers') union all
    select 'par_gather', current_setting('max_parallel_workers_per_gather')`)).rows.map((r) => [r.k, r.v]));
  const [{ def: indexDef }] = (await main.query<{ def: string }>(`select pg_get_indexdef('${INDEX}'::regclass) as def`)).rows;
  const [{ opts: indexOpts }] = (await main.query<{ opts: string[] | null }>(`select reloptions as opts from pg_class where relname = '${INDEX}'`)).rows;
  log(`${database.describe}; pgvector ${info.pgvector}`);

  const { orgId, token } = await server.createOrg('bench');
  const project = await server.createProject(token, 'synthetic');
  const scope = { orgId, projectId: project.id };

  // Subjects: one note snapshot per vector, each used by an acceptance, so the
  // app's statement (which checks that a note is in use) sees every row.
  log(`seeding ${ROWS.toLocaleString('en')} note snapshots and acceptances by SQL…`);
  let t = now();
  const width = String(ROWS).length;
  const files = Array.from({ length: ROWS }, (_, i) => {
    const body = `synthetic note ${i}`;
    return { path: `synthetic/note-${String(i).padStart(width, '0')}.md`, body, sha256: sha256Hex(body) };
  });
  const gate = { path: 'synthetic/gate.md', body: 'synthetic gate', sha256: sha256Hex('synthetic gate') };
  await insertSnapshots(database.db, scope, [...files, gate]);
  await acceptPairs(database.db, scope, 'bench/p', files.map(({ path, sha256 }) => ({ path, sha256 })), [{ path: gate.path, sha256: gate.sha256 }]);
  await analyze(database.db);
  const subjects = (await main.query<{ id: string }>(`select id::text from snapshots where project_id = $1 and path like 'synthetic/note-%' order by path`, [project.id])).rows.map((r) => r.id);
  if (subjects.length !== ROWS) fail(`seeded ${subjects.length} subjects, expected ${ROWS}`);
  const seedMs = now() - t;

  report(`Search benchmark: ${database.describe}`);
  report(`PostgreSQL ${info.pg}, pgvector ${info.pgvector}; shared_buffers ${info.shared_buffers}, work_mem ${info.work_mem}, max_parallel_workers_per_gather ${info.par_gather}; `
    + `maintenance_work_mem ${MWM} in the loading session (server setting ${serverMwm}), max_parallel_maintenance_workers ${info.par_maint}`);
  report(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${loadStart} at the start`);
  report(`index under test (from the migrations): ${indexDef}${indexOpts ? ` ${indexOpts.join(', ')}` : ' (pgvector defaults m=16, ef_construction=64)'}`);
  report(`subjects: ${ROWS.toLocaleString('en')} note snapshots + acceptances seeded by SQL in ${fmtMs(seedMs)}`);
  report(`recall@10 = |HNSW top 10 ∩ exact top 10| / 10, averaged over ${QUERIES} queries (${WARMUP} more as warm-up); the app sets hnsw.ef_search = ${APP_EF} for k = ${K}`);

  const ctx: Ctx = { database, server, main, clients, scope, orgId, token, subjects, indexDef };
  const results: DatasetResult[] = [];
  for (const name of DATASETS) results.push(await runDataset(ctx, name as 'uniform' | 'lowrank'));

  // Leave the table as the migrations do: empty, production index in place.
  await main.query('truncate embeddings');
  if ((await main.query(`select 1 from pg_class where relname = '${INDEX}'`)).rowCount === 0) await main.query(indexDef);

  let corpusOk: boolean | null = null;
  if (!opts['skip-corpus']) corpusOk = await corpusCheck(ctx);

  report('');
  report('=== summary');
  for (const r of results) {
    report(`${r.name.padEnd(8)} exact scan ${fmtQps(r.exactQps)} q/s; build ${fmtMs(r.build.ms)}; goal ${r.chosen === null ? '*** MISS *** (no ef_search measured reaches it)' : `PASS from ef_search = ${r.chosen}`}`);
  }
  if (corpusOk !== null) report(`corpus   ${corpusOk ? 'PASS' : '*** MISS ***'}`);
  report(`Load average ${loadStart} at the start, ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end. Total run time ${fmtMs(now() - started)}.`);
  console.log('');
  console.log(lines.join('\n'));
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  exitCode = interruptedBy() ? 130 : 1;
  if (lines.length) console.log(`\n(partial report)\n${lines.join('\n')}`);
  if (!interruptedBy()) console.error(`\nbench: FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
} finally {
  await runCleanups();
}
process.exit(exitCode);
