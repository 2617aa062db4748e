// npm test: the Node suite (PGlite, and PostgreSQL through the Neon driver
// when reachable) and then the workerd suite, with one closing line that
// says truly what ran: every suite's counts, the databases and hosts, what
// was skipped and why. A suite that could not start counts as failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { chromiumPath } from '../test/support/chromium.js';
import { postgresReachable } from '../test/support/postgres.js';
import { type Counts, suiteCounts } from './test-summary.js';

const out = 'test-output';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const passThrough = process.argv.slice(2);
const filtered = passThrough.length > 0;

const pgliteOnly = process.env.GATEHOUSE_TEST_DB === 'pglite';
const pg = pgliteOnly ? false : await postgresReachable();
const chromium = chromiumPath();
const suites = [
  { name: 'node', what: `Node: PGlite${pg ? ' and PostgreSQL (Neon driver)' : ''}`, args: ['vitest', 'run', ...passThrough] },
  { name: 'workerd', what: 'Workers (workerd): PostgreSQL through the Neon driver', args: ['vitest', 'run', '--config', 'vitest.workerd.config.ts'] },
];

const lines: string[] = [];
const notes: string[] = [];
const totals: Counts = { passed: 0, failed: 0, skipped: 0 };
let failedRuns = 0;
for (const suite of suites) {
  if (suite.name === 'workerd' && filtered) {
    notes.push('the workerd suite was not run (a filtered run is for the Node suite)');
    continue;
  }
  const report = `${out}/${suite.name}.json`;
  const run = spawnSync('npx', [...suite.args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    stdio: 'inherit',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', DO_NOT_TRACK: '1', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  if (run.status !== 0) failedRuns += 1;
  // No report: it never got that far (its setup threw, no database, say).
  const { line, counts } = suiteCounts(suite.what, existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : undefined);
  lines.push(line);
  for (const k of ['passed', 'failed', 'skipped'] as const) totals[k] += counts[k];
}
if (!pg) notes.push(pgliteOnly ? 'PostgreSQL half not run: GATEHOUSE_TEST_DB=pglite'
  : 'PostgreSQL half skipped: no PostgreSQL with pgvector on 127.0.0.1:5432 (scripts/setup-postgres.sh builds it)');
if (!chromium.found && !filtered) notes.push(`browser tests skipped: no Chromium at ${chromium.path} (install Debian's chromium, or set GATEHOUSE_CHROMIUM)`);

console.log('');
for (const line of lines) console.log(`  ${line}`);
for (const note of notes) console.log(`  note: ${note}`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedRuns > 0 || totals.failed > 0 || totals.passed === 0 ? 1 : 0);
