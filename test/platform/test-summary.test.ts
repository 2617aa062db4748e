// npm test's closing line must say truly what ran: a suite that could not
// start, or ran nothing, is a failure, never "0 failed".
import { describe, expect, it } from 'vitest';
import { suiteCounts } from '../../scripts/test-summary.js';

describe('the closing line of npm test', () => {
  it('a suite that wrote no report could not start: one failed', () => {
    expect(suiteCounts('Workers', undefined)).toEqual({ line: 'Workers: could not start (counted as 1 failed)', counts: { passed: 0, failed: 1, skipped: 0 } });
  });

  it('a suite that ran no test did not pass, whatever it skipped', () => {
    const report = { numPassedTests: 0, numFailedTests: 0, numFailedTestSuites: 0, numPendingTests: 3 };
    expect(suiteCounts('Node', report).counts).toEqual({ passed: 0, failed: 1, skipped: 3 });
  });

  it('failed files count beside failed tests; skipped and todo are skipped', () => {
    const report = { numPassedTests: 10, numFailedTests: 1, numFailedTestSuites: 2, numPendingTests: 4, numTodoTests: 1 };
    expect(suiteCounts('Node', report)).toEqual({ line: 'Node: 10 passed, 3 failed, 5 skipped', counts: { passed: 10, failed: 3, skipped: 5 } });
  });
});
