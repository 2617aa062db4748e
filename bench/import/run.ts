// npm run bench:import [-- --runs 10] [--pglite-only] [--pg-only]
//
// The whole Commonplace store (../shared/corpus/commonplace-store, 14,177
// accepted pairs, 397 texts) imported end to end, then
// `gatehouse status --accepted` over the corpus, as a person runs them:
// the real server (`tsx src/node.ts`, embedded PGlite or PostgreSQL from
// DATABASE_URL) in one process, the `gatehouse` bin as a subprocess per
// command, wall-clock time per command including the CLI's own start-up.
// The store is gunzipped into a temp folder here (never committed).
//
// Compared with the store's README: Commonplace's own `freshness-status`
// took a median of 2.15 s (1.73-2.49 s, 10 runs) for the same pairs.
// Exits non-zero on a wrong answer (a count that is not 14,177 fresh).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import pg from 'pg';
import { fmtMs, median, PG_ADMIN_URL } from '../freshness/lib.js';

const { values: opts } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, 'pglite-only': { type: 'boolean', default: false }, 'pg-only': { type: 'boolean', default: false } },
});
const RUNS = Number(opts.runs);
const ROOT = new URL('../..', import.meta.url).pathname;
const SHARED = join(ROOT, '../shared/corpus');
const STORE_GZ = join(SHARED, 'commonplace-store/commonplace-store.sqlite.gz');
const KB = join(SHARED, 'commonplace-kb/kb');
const PAIRS = 14177;
const COMMONPLACE_MEDIAN_MS = 2150;
const log = (m: string) => console.log(`bench: ${m}`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function admin(text: string) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try { return await client.query(text); } finally { await client.end().catch(() => {}); }
}

interface Timed { ms: number; code: number; stdout: string; stderr: string }

function cli(cwd: string, token: string, args: string[]): Promise<Timed> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin/gatehouse.mjs'), ...args], {
      cwd, env: { ...process.env, GATEHOUSE_TOKEN: token, NO_COLOR: '1', GATEHOUSE_CREDENTIALS: join(cwd, '.none.json') }, maxBuffer: 256 * 1024 * 1024,
    }, (err, stdout, stderr) => resolve({ ms: performance.now() - started, code: err ? (typeof err.code === 'number' ? err.code : 2) : 0, stdout, stderr }));
  });
}

function check(ok: boolean, what: string) {
  if (!ok) throw new Error(`WRONG ANSWER: ${what}`);
}

async function runOne(kind: 'pglite' | 'pg', store: string, dir: string) {
  const data = join(dir, `data-${kind}`);
  const kb = join(dir, `kb-${kind}`);
  await cp(KB, join(kb, 'kb'), { recursive: true });
  let databaseUrl = '';
  const scratch = `gatehouse_bench_import_${process.pid}`;
  if (kind === 'pg') {
    await admin(`drop database if exists "${scratch}" with (force)`);
    await admin(`create database "${scratch}"`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${scratch}`;
    url.searchParams.set('sslmode', 'disable');
    databaseUrl = url.toString();
  }
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['src/node.ts'], {
    cwd: ROOT, stdio: 'ignore',
    env: { ...process.env, PORT: String(port), GATEHOUSE_DATA_DIR: data, DATABASE_URL: databaseUrl, GATEHOUSE_MAINTENANCE_INTERVAL_SECONDS: '0' },
  });
  try {
    let up = false;
    for (let i = 0; i < 300 && !up; i++) {
      try { up = (await fetch(`${api}/healthz`)).ok; } catch { await new Promise((r) => setTimeout(r, 200)); }
    }
    check(up, 'the server did not start');
    const token = (await readFile(join(data, 'local-owner.token'), 'utf8')).trim();
    const created = await fetch(`${api}/v1/projects`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'kb' }) });
    check(created.status === 201, `project creation answered ${created.status}`);
    await writeFile(join(kb, 'gatehouse.json'), JSON.stringify({ api, project: 'kb', notes: ['kb/notes/**/*.md'], gates: ['kb/instructions/review-gates/**/*.md'], partition: 'synthetic-bench' }));

    const load = loadavg()[0];
    const first = await cli(kb, token, ['import', store, '--json']);
    const firstJson = JSON.parse(first.stdout || '{}');
    check(first.code === 0 && firstJson.counts?.imported === PAIRS, `import: exit ${first.code}, ${first.stdout.slice(0, 300)} ${first.stderr.slice(0, 300)}`);
    log(`${kind}: import ${fmtMs(first.ms)} (${firstJson.texts.uploaded} texts uploaded, ${firstJson.counts.imported} baselines imported)`);
    const again = await cli(kb, token, ['import', store, '--json']);
    check(JSON.parse(again.stdout).counts.skipped === PAIRS, 're-import did not skip everything');
    log(`${kind}: re-import (adds nothing) ${fmtMs(again.ms)}`);

    const status: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await cli(kb, token, ['status', '--accepted', '--json']);
      const body = JSON.parse(run.stdout);
      check(run.code === 0 && body.counts.fresh === PAIRS && body.counts.total === PAIRS, `status --accepted: exit ${run.code}, counts ${JSON.stringify(body.counts)}`);
      status.push(run.ms);
    }
    const startup: number[] = [];
    for (let i = 0; i < Math.min(RUNS, 5); i++) startup.push((await cli(kb, token, ['--help'])).ms);
    log(`${kind}: status --accepted median ${fmtMs(median(status))} (${fmtMs(Math.min(...status))} … ${fmtMs(Math.max(...status))}, ${RUNS} runs); CLI start-up alone ${fmtMs(median(startup))}`);
    return { kind, importMs: first.ms, reimportMs: again.ms, status, startup: median(startup), loadBefore: load, loadAfter: loadavg()[0] };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    if (kind === 'pg') await admin(`drop database if exists "${scratch}" with (force)`).catch(() => {});
  }
}

async function pgReachable(): Promise<boolean> {
  try { await admin('select 1'); return true; } catch { return false; }
}

async function main() {
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`bad --runs ${opts.runs}`);
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-import-'));
  try {
    const store = join(dir, 'commonplace-store.sqlite');
    await pipeline(createReadStream(STORE_GZ), createGunzip(), createWriteStream(store));
    const kinds: ('pglite' | 'pg')[] = [];
    if (!opts['pg-only']) kinds.push('pglite');
    if (!opts['pglite-only']) {
      if (await pgReachable()) kinds.push('pg');
      else log(`no PostgreSQL at ${new URL(PG_ADMIN_URL).host}; PGlite only`);
    }
    const results = [];
    for (const kind of kinds) results.push(await runOne(kind, store, dir));
    console.log('\n| database | import (14,177 baselines, 397 texts) | re-import (adds nothing) | `status --accepted` median (min … max) | CLI start-up | vs Commonplace 2.15 s | load avg |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      const m = median(r.status);
      const verdict = m < COMMONPLACE_MEDIAN_MS ? `${(COMMONPLACE_MEDIAN_MS / m).toFixed(2)}× faster: PASS` : `${(m / COMMONPLACE_MEDIAN_MS).toFixed(2)}× slower: MISS`;
      console.log(`| ${r.kind === 'pg' ? 'PostgreSQL (node-postgres)' : 'PGlite (embedded)'} | ${fmtMs(r.importMs)} | ${fmtMs(r.reimportMs)} | ${fmtMs(m)} (${fmtMs(Math.min(...r.status))} … ${fmtMs(Math.max(...r.status))}, ${r.status.length} runs) | ${fmtMs(r.startup)} | ${verdict} | ${r.loadBefore.toFixed(1)} → ${r.loadAfter.toFixed(1)} |`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
