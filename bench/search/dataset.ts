// One data set of the search benchmark: load 100,000 vectors, build the
// migration's HNSW index, then measure the production vector ranking against
// the exact scan (measure.ts), the drain's check, concurrency, and optional
// index variants on the same rows.
import { eq, sql } from 'drizzle-orm';
import type pg from 'pg';
import { projects } from '../../drizzle/schema.js';
import { rowsOf, withTenant } from '../../src/platform/db.js';
import { drainIfRecent, drainProject, recentlyPending } from '../../src/search/embed-queue.js';
import type { Embedder } from '../../src/search/embedder.js';
import { type BenchDatabase, fmtMs, median, now } from '../freshness/lib.js';
import { corpusTexts, embeddedSource } from './corpus-texts.js';
import { DIMS, loadFromSource, loadUniform, lowRankSource, seedUniform, uniformSource, type Target, type VectorSource } from './data.js';
import { APP_EF, concurrent, exactQps, fail, fmtQps, meets, printSweep, qps, rank, type Scope, sweep } from './measure.js';

export type DatasetName = 'corpus' | 'lowrank' | 'uniform';
export interface Options {
  rows: number; queries: number; warmup: number; online: number; efs: number[]; latent: number; noise: number;
  concurrency: number; concurrentQueries: number; variants: { m: number; efc: number; label: string }[]; corpusRoot: string;
}
export interface Ctx { database: BenchDatabase; main: pg.Client; orgId: string; projectId: string; subjects: string[]; indexDef: string; index: string; report: (line?: string) => void; log: (line: string) => void }
export interface DatasetResult { name: DatasetName; buildMs: number; exactQps: number; app: { recall: number; speedup: number }; chosen: { ef: number; recall: number; speedup: number } | null }

const indent = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');

function sources(name: DatasetName, o: Options): { data: VectorSource; queries: number[][]; describe: string } {
  const n = o.warmup + o.queries;
  if (name === 'corpus') {
    const texts = corpusTexts(o.corpusRoot, o.rows, n);
    const describe = `FeatureHashEmbedder vectors of ${o.rows.toLocaleString('en')} distinct excerpts (1–3 sentences of one note) of commonplace-kb `
      + `(${texts.notes} notes, ${texts.sentences.toLocaleString('en')} sentences); queries: ${n} of its titles and headings`;
    const q = embeddedSource(texts.queries, '');
    return { data: embeddedSource(texts.data, describe), queries: texts.queries.map(() => Array.from(q.next())), describe };
  }
  const data = name === 'uniform' ? uniformSource(101) : lowRankSource(101, o.latent, o.noise);
  const q = name === 'uniform' ? uniformSource(202) : lowRankSource(202, o.latent, o.noise);
  return { data, queries: Array.from({ length: n }, () => Array.from(q.next())), describe: `${data.describe}; queries from the same distribution, not data points` };
}

async function load(ctx: Ctx, name: DatasetName, o: Options, target: Target, data: VectorSource) {
  const { main, index, indexDef } = ctx;
  await main.query('truncate embeddings');
  await main.query(`drop index if exists ${index}`);
  const bulk = o.rows - o.online;
  let t = now();
  if (name === 'uniform') {
    await seedUniform(main, 0.42);
    await loadUniform(main, target, 0, bulk);
  } else await loadFromSource(main, target, data, 0, bulk);
  const loadMs = now() - t;
  await main.query('vacuum analyze embeddings');
  ctx.log(`[${name}] building ${index} with the migration's definition…`);
  t = now();
  await main.query(indexDef);
  const buildMs = now() - t;
  const [{ bytes }] = (await main.query<{ bytes: string }>(`select pg_relation_size('${index}') as bytes`)).rows;
  // The rest go in through the index, in batches of 256 like the embedding drain.
  t = now();
  if (name === 'uniform') for (let i = bulk; i < o.rows; i += 256) await loadUniform(main, target, i, Math.min(o.rows, i + 256));
  else await loadFromSource(main, target, data, bulk, o.rows, 256);
  const onlineMs = now() - t;
  await main.query('analyze embeddings');
  const [{ n, lo, hi }] = (await main.query(`select count(*)::int as n, min(vector_norm(embedding::vector(${DIMS}))) as lo, max(vector_norm(embedding::vector(${DIMS}))) as hi from embeddings where model = $1`, [target.model])).rows;
  if (n !== o.rows) fail(`${name}: ${n} rows loaded, expected ${o.rows}`);
  if (Math.abs(lo - 1) > 1e-3 || Math.abs(hi - 1) > 1e-3) fail(`${name}: vector norms ${lo} … ${hi}, expected unit vectors`);
  ctx.report(`load: ${bulk.toLocaleString('en')} rows without the index ${fmtMs(loadMs)}; CREATE INDEX (the migration's definition) ${fmtMs(buildMs)}, `
    + `${(Number(bytes) / 2 ** 20).toFixed(0)} MiB; last ${o.online.toLocaleString('en')} rows through the index (batches of 256) ${(onlineMs / o.online).toFixed(2)} ms/row`);
  return buildMs;
}

export async function runDataset(ctx: Ctx, name: DatasetName, o: Options, first: boolean): Promise<DatasetResult> {
  const { report, log, index } = ctx;
  const model = `bench/${name}-${DIMS}`;
  const s: Scope = { db: ctx.database.db, main: ctx.main, orgId: ctx.orgId, projectId: ctx.projectId, model };
  log(`[${name}] preparing ${o.rows.toLocaleString('en')} vectors…`);
  const { data, queries, describe } = sources(name, o);
  report('');
  report(`=== ${name}: ${o.rows.toLocaleString('en')} × ${DIMS}-d; ${describe}`);
  const buildMs = await load(ctx, name, o, { orgId: ctx.orgId, projectId: ctx.projectId, model, subjects: ctx.subjects }, data);

  // Plans: the HNSW path must use the index, the exact scan must not.
  const hnswPlan = (await rank(s, { kind: 'hnsw', ef: APP_EF }, queries[0], 'explain (costs off)')).plan;
  const exactPlan = (await rank(s, { kind: 'exact' }, queries[0], 'explain (costs off)')).plan;
  if (!hnswPlan.includes(`Index Scan using ${index}`)) fail(`${name}: the app statement does not use ${index}:\n${hnswPlan}`);
  if (exactPlan.includes(index) || !/Seq Scan on embeddings/.test(exactPlan)) fail(`${name}: the exact statement is not a sequential scan:\n${exactPlan}`);

  log(`[${name}] ${o.queries} queries (+${o.warmup} warm-up): exact scan and ef_search ${o.efs.join(', ')}, interleaved…`);
  let t = now();
  const rows = await sweep(s, `HNSW ${index}`, o.efs, queries, o.warmup);
  report('');
  report(`A. The vector ranking as search() runs it (hybridStatement, mode vector, k 10, under RLS in a tenant transaction with hnswSettings;`);
  report(`   the statement takes the ef_search nearest from the index, then filters), against the same statement with index scans off.`);
  report(`   ${o.queries} queries interleaved, ${fmtMs(now() - t)} in all. QPS = 1000 / mean latency of the statement; "tx" = of the whole transaction.`);
  printSweep(report, rows);
  report(`   The two exact scans found different top-10 sets for ${rows.disagreements} of ${queries.length} queries (ties in distance).`);
  const best = exactQps(rows);
  const appRow = rows.find((r) => r.ef === APP_EF);
  const chosenRow = rows.find((r) => meets(r, rows));
  report(chosenRow
    ? `   Goal (recall@10 ≥ 0.95 at ≥ 10× the faster exact scan's QPS): PASS from ef_search = ${chosenRow.ef} (recall ${chosenRow.recall!.toFixed(3)}, ${(qps(chosenRow.stmt) / best).toFixed(1)}×)`
    : '   Goal (recall@10 ≥ 0.95 at ≥ 10× the faster exact scan\'s QPS): *** MISS *** at every ef_search measured');
  if (first) {
    const analyzed = (await rank(s, { kind: 'hnsw', ef: APP_EF }, queries[1], 'explain (analyze, buffers, costs off)')).plan;
    report(`   EXPLAIN (ANALYZE, BUFFERS) of the app statement at ef_search ${APP_EF}, one query:`);
    report(indent(analyzed));
    report('   plan of the exact scan of the app statement (EXPLAIN, costs off):');
    report(indent(exactPlan));
    report('   plan of the bare exact scan (EXPLAIN, costs off):');
    report(indent((await rank(s, { kind: 'bare' }, queries[0], 'explain (costs off)')).plan));
  }

  if (first) {
    // C. The drain check search() runs first (with a gatehouse/ embedder): the full sweep it used to run, and the one it runs now.
    const embedder: Embedder = { model, dims: 384, embed: async () => fail('the drain found pending rows; every note has a vector') };
    const timeDrain = async (fn: typeof drainProject) => {
      const ms: number[] = [];
      for (let r = 0; r < 12; r++) {
        const t0 = now();
        const n = await withTenant(s.db, { orgId: s.orgId }, async (tx) => {
          const [project] = await tx.select().from(projects).where(eq(projects.id, s.projectId));
          return fn(tx, project, embedder);
        });
        if (n !== 0) fail(`drain embedded ${n}`);
        if (r >= 2) ms.push(now() - t0);
      }
      return ms;
    };
    const full = await timeDrain(drainProject);
    const recent = await timeDrain(drainIfRecent);
    report('');
    report(`C. The embedding catch-up search() runs first (gatehouse/ embedders), nothing pending, ${o.rows.toLocaleString('en')} accepted notes, tenant transaction, median of 10:`);
    report(`   full drain check (drainProject: anti-join over every note and artifact)       ${fmtMs(median(full))}`);
    report(`   drainIfRecent (the newest 64 acceptances and artifacts, what search() runs)   ${fmtMs(median(recent))}`);
    const checkPlan = await withTenant(s.db, { orgId: s.orgId }, async (tx) => rowsOf<{ 'QUERY PLAN': string }>(await tx.execute(sql`explain (analyze, costs off) ${recentlyPending(s.projectId, model, 64)}`)));
    report('   EXPLAIN ANALYZE of drainIfRecent\'s check:');
    report(indent(checkPlan.map((r) => r['QUERY PLAN']).join('\n')));
  }

  if (o.concurrency > 1) {
    const timed = queries.slice(o.warmup, o.warmup + o.concurrentQueries);
    log(`[${name}] ${o.concurrency} concurrent clients…`);
    const ex = await concurrent(s, { kind: 'exact' }, timed, o.concurrency);
    const hn = await concurrent(s, { kind: 'hnsw', ef: APP_EF }, timed, o.concurrency);
    report('');
    report(`D. ${o.concurrency} concurrent clients over the app's pool, whole transactions, ${timed.length} queries: exact ${fmtQps(ex)} q/s, HNSW at ef_search ${APP_EF} ${fmtQps(hn)} q/s (${(hn / ex).toFixed(1)}×)`);
  }

  for (const v of o.variants) {
    const vname = `${index}_m${v.m}_efc${v.efc}`;
    const def = ctx.indexDef.replace(` ${index} `, ` ${vname} `).replace(/\s+WITH \([^)]*\)/, '').replace(/\s+WHERE\s/, ` WITH (m = ${v.m}, ef_construction = ${v.efc}) WHERE `);
    if (!def.includes(vname) || !def.includes('WITH (m =')) fail(`could not derive the variant's definition from ${ctx.indexDef}`);
    log(`[${name}] variant ${v.label}: building ${vname}…`);
    await ctx.main.query(`drop index if exists ${index}`);
    t = now();
    await ctx.main.query(def);
    const vBuild = now() - t;
    const plan = (await rank(s, { kind: 'hnsw', ef: APP_EF }, queries[0], 'explain (costs off)')).plan;
    if (!plan.includes(`Index Scan using ${vname}`)) fail(`variant ${vname} not used:\n${plan}`);
    const vRows = await sweep(s, vname, o.efs, queries, o.warmup);
    report('');
    report(`Variant ${v.label} (same expression and predicate): CREATE INDEX ${fmtMs(vBuild)}`);
    printSweep(report, vRows);
    await ctx.main.query(`drop index ${vname}`);
    await ctx.main.query(ctx.indexDef);
  }
  const speed = (r: (typeof rows)[number]) => qps(r.stmt) / best;
  return {
    name, buildMs, exactQps: best,
    app: { recall: appRow?.recall ?? NaN, speedup: appRow ? speed(appRow) : NaN },
    chosen: chosenRow ? { ef: chosenRow.ef!, recall: chosenRow.recall!, speedup: speed(chosenRow) } : null,
  };
}
