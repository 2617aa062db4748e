// npm run fuzz [-- --runs 10000] [--db pglite,pg] [--shards 2] [--seed <n>]
//
// The long schema-driven fuzz run (test/platform/fuzz.test.ts) split over
// processes: each database gets --shards processes, each fuzzing every n-th
// operation (GATEHOUSE_FUZZ_SHARD) on its own scratch database, all with one
// seed so a failure replays. The run at 10,000 per operation is the release
// run; on 2 cores expect tens of minutes on PGlite and over an hour on
// PostgreSQL (RELIABILITY.md records the last one). Exits non-zero when any
// shard fails; each shard's output is in test-output/fuzz-<db>-<k>.log.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    db: { type: 'string', default: 'pglite,pg' },
    shards: { type: 'string', default: '1' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
  },
});
const runs = Number(values.runs);
const shards = Number(values.shards);
const databases = values.db.split(',').map((d) => d.trim()).filter(Boolean);
if (!(runs >= 1) || !(shards >= 1) || databases.some((d) => d !== 'pglite' && d !== 'pg')) {
  console.error('usage: npm run fuzz -- [--runs N ≥ 1] [--db pglite,pg] [--shards N ≥ 1] [--seed N]');
  process.exit(2);
}

mkdirSync('test-output', { recursive: true });
const started = Date.now();

function shard(db: string, k: number): Promise<{ name: string; ok: boolean; summary: string }> {
  const name = `${db} ${k}/${shards}`;
  const logFile = `test-output/fuzz-${db}-${k}.log`;
  const log = createWriteStream(logFile);
  const child = spawn('npx', ['vitest', 'run', 'test/platform/fuzz.test.ts', '--reporter=verbose'], {
    env: { ...process.env, GATEHOUSE_TEST_DB: db, GATEHOUSE_FUZZ_RUNS: String(runs), GATEHOUSE_FUZZ_SEED: values.seed, GATEHOUSE_FUZZ_SHARD: `${k}/${shards}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      log.end(() => {
        // The test file prints one line: "fuzz (<db>, seed …, shard …): N requests, …".
        const plain = readFileSync(logFile, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
        const summary = plain.split('\n').find((line) => line.startsWith('fuzz (')) ?? `no summary (see ${logFile})`;
        resolve({ name, ok: code === 0, summary });
      });
    });
  });
}

console.log(`fuzz: ${runs} requests per operation, seed ${values.seed}, ${databases.join(' and ')}, ${shards} process(es) each`);
const results = await Promise.all(databases.flatMap((db) => Array.from({ length: shards }, (_, i) => shard(db, i + 1))));
for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.summary}`);
console.log(`fuzz: ${((Date.now() - started) / 1000).toFixed(0)} s; ${results.every((r) => r.ok) ? 'all shards passed' : 'FAILED (logs in test-output/)'}`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
