// npm test: the Node suite (PGlite, and PostgreSQL through the Neon driver
// when reachable) and then the workerd suite, with one closing line for both.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const out = 'test-output';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const passThrough = process.argv.slice(2);

const suites = [
  { name: 'node', args: ['vitest', 'run', ...passThrough] },
  { name: 'workerd', args: ['vitest', 'run', '--config', 'vitest.workerd.config.ts'] },
];

let failedRuns = 0;
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const suite of suites) {
  if (suite.name === 'workerd' && passThrough.length > 0) continue; // a filtered run is for the Node suite
  const report = `${out}/${suite.name}.json`;
  const run = spawnSync('npx', [...suite.args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    stdio: 'inherit',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', DO_NOT_TRACK: '1', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  if (run.status !== 0) failedRuns += 1;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += json.numPassedTests;
    // A file that fails to load or whose hooks fail counts as a failed suite, not a failed test: count both.
    totals.failed += json.numFailedTests + (json.numFailedTestSuites ?? 0);
    totals.skipped += json.numPendingTests + (json.numTodoTests ?? 0);
  } catch {
    console.error(`test: the ${suite.name} suite wrote no report`);
    failedRuns += 1;
  }
}
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedRuns > 0 || totals.failed > 0 || totals.passed === 0 ? 1 : 0);
