// npm run bench:search [-- --datasets corpus,lowrank,uniform] [--rows 100000] [--queries 200]
//                         [--ef 40,64,100,200,400] [--variants "m=24,ef_construction=128;…"] [--skip-corpus]
//
// The vector ranking of search on PostgreSQL: 100,000 × 384-d unit vectors
// in `embeddings`, indexed by the migration's own partial HNSW index
// (embeddings_hnsw_384). Per data set, in one run (dataset.ts, measure.ts):
// recall@10 of the production path (the statement src/search/search.ts
// issues, with the settings search() makes) against the exact scan of the
// same statement over 200 queries, and queries per second of both, over an
// ef_search sweep; the embedding catch-up search() runs first; concurrent
// clients; optionally index variants. Last, a text sanity check on the
// commonplace-kb corpus through the API (corpus-check.ts). See README.md.
// Exits non-zero only on errors (a wrong plan, a wrong row count, a failed
// request); a missed goal is printed as MISS.
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { BenchServer, fmtMs, interruptedBy, now, openBenchDatabase, PG_ADMIN_URL, registerCleanup, runCleanups, sha256Hex } from '../freshness/lib.js';
import { acceptPairs, analyze, insertSnapshots } from '../freshness/seed.js';
import { corpusCheck } from './corpus-check.js';
import { type DatasetName, type DatasetResult, type Options, runDataset } from './dataset.js';
import { APP_EF, fail, fmtQps, K } from './measure.js';

const { values: opts } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'corpus,lowrank,uniform' },
    rows: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '10' },
    ef: { type: 'string', default: '' },
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
const DATASETS = opts.datasets.split(',').map((s) => s.trim()).filter(Boolean) as DatasetName[];
for (const d of DATASETS) if (!['corpus', 'lowrank', 'uniform'].includes(d)) throw new Error(`unknown data set ${d} (corpus, lowrank, uniform)`);
const int = (name: string, v: string, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`bad --${name}: ${v}`);
  return n;
};
const ROWS = int('rows', opts.rows, 1);
const EF_DEFAULT: Record<DatasetName, number[]> = { corpus: [40, 64, 100, 200, 400], lowrank: [40, 64, 100, 200, 400], uniform: [40, 100, 200, 400, 800] };
const EF_OPT = opts.ef ? opts.ef.split(',').map(Number) : null;
if (EF_OPT?.some((e) => !Number.isInteger(e) || e < K || e > 1000)) throw new Error(`bad --ef: ${opts.ef} (${K}…1000; pgvector allows up to 1000)`);
const MWM = opts['maintenance-work-mem'];
if (!/^\d+\s*(kB|MB|GB)$/.test(MWM)) throw new Error(`bad --maintenance-work-mem: ${MWM}`);
const INDEX = 'embeddings_hnsw_384';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpusRoot = resolve(process.env.GATEHOUSE_BENCH_CORPUS || join(repoRoot, '../shared/corpus/commonplace-kb'));

function parseVariant(text: string): { m: number; efc: number; label: string } {
  const kv = Object.fromEntries(text.split(',').map((p) => p.split('=').map((s) => s.trim())));
  const m = Number(kv.m ?? 16);
  const efc = Number(kv.ef_construction ?? 64);
  if (!Number.isInteger(m) || m < 2 || m > 100 || !Number.isInteger(efc) || efc < 4 || efc > 1000 || efc < 2 * m) throw new Error(`bad variant ${text} (m 2…100, ef_construction 4…1000 and ≥ 2·m)`);
  return { m, efc, label: `m=${m}, ef_construction=${efc}` };
}

const options = (name: DatasetName): Options => ({
  rows: ROWS, queries: int('queries', opts.queries, 1), warmup: int('warmup', opts.warmup, 0), online: int('online-rows', opts['online-rows'], 0),
  efs: EF_OPT ?? EF_DEFAULT[name], latent: int('latent-dim', opts['latent-dim'], 1), noise: Number(opts.noise),
  concurrency: int('concurrency', opts.concurrency, 1), concurrentQueries: int('concurrent-queries', opts['concurrent-queries'], 1),
  variants: opts.variants.split(';').map((s) => s.trim()).filter(Boolean).map(parseVariant), corpusRoot,
});
if (options('corpus').online >= ROWS) throw new Error('--online-rows must be below --rows');

const log = (msg: string) => console.log(`bench: ${msg}`);
const lines: string[] = [];
const report = (msg = '') => {
  lines.push(msg);
};

async function main() {
  const started = now();
  const loadStart = loadavg().map((x) => x.toFixed(2)).join(' ');
  if (!existsSync(join(corpusRoot, 'kb/notes'))) throw new Error(`the corpus is missing: no ${corpusRoot}/kb/notes (set GATEHOUSE_BENCH_CORPUS)`);
  log('opening a scratch PostgreSQL database…');
  const database = await openBenchDatabase('pg', 4);
  registerCleanup(database.close);
  const server = await BenchServer.start(database, { maxBodyBytes: 32 * 1024 * 1024 });
  registerCleanup(() => server.close());

  // Our own connection to the same scratch database, for session settings and setseed.
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/gatehouse_bench_${process.pid}`;
  url.searchParams.set('sslmode', 'disable');
  const main = new pg.Client({ connectionString: url.toString() });
  await main.connect();
  registerCleanup(() => main.end().catch(() => {}));
  const serverMwm = (await main.query<{ v: string }>('select current_setting($1) as v', ['maintenance_work_mem'])).rows[0].v;
  // The HNSW build for 100,000 × 384 needs about 1 GB to keep the graph in memory (README.md).
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
  // app's statement (which checks that a note is in use) keeps every row.
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

  report(`Search benchmark: ${database.describe}`);
  report(`PostgreSQL ${info.pg}, pgvector ${info.pgvector}; shared_buffers ${info.shared_buffers}, work_mem ${info.work_mem}, max_parallel_workers_per_gather ${info.par_gather}; `
    + `maintenance_work_mem ${MWM} in the loading session (server setting ${serverMwm}), max_parallel_maintenance_workers ${info.par_maint}`);
  report(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${loadStart} at the start`);
  report(`index under test (from the migrations): ${indexDef}${indexOpts ? ` ${indexOpts.join(', ')}` : ' (pgvector defaults m=16, ef_construction=64)'}`);
  report(`subjects: ${ROWS.toLocaleString('en')} note snapshots + acceptances seeded by SQL in ${fmtMs(now() - t)}`);
  report(`recall@10 = |HNSW top 10 ∩ exact top 10| / 10, averaged over the queries; search() takes ef_search = ${APP_EF} nearest for k = ${K}`);

  const ctx = { database, main, orgId, projectId: project.id, subjects, indexDef, index: INDEX, report, log };
  const results: DatasetResult[] = [];
  for (const [i, name] of DATASETS.entries()) results.push(await runDataset(ctx, name, options(name), i === 0));
  // Leave the table as the migrations do: empty, production index in place.
  await main.query('truncate embeddings');
  if ((await main.query(`select 1 from pg_class where relname = '${INDEX}'`)).rowCount === 0) await main.query(indexDef);

  const corpusOk = opts['skip-corpus'] ? null : await corpusCheck({ server, database, token, orgId, corpusRoot, report, log });
  report('');
  report('=== summary');
  for (const r of results) {
    report(`${r.name.padEnd(8)} exact ${fmtQps(r.exactQps)} q/s; at the app's ef_search ${APP_EF}: recall@10 ${r.app.recall.toFixed(3)}, ${r.app.speedup.toFixed(1)}×; `
      + `goal ${r.chosen ? `PASS from ef_search ${r.chosen.ef} (${r.chosen.recall.toFixed(3)}, ${r.chosen.speedup.toFixed(1)}×)` : '*** MISS *** at every ef_search measured'}`);
  }
  if (corpusOk !== null) report(`corpus text check ${corpusOk ? 'PASS' : '*** MISS ***'}`);
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
