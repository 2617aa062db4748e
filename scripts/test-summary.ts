// The closing line's arithmetic, apart so a test can hold it to the truth:
// a suite that wrote no report, or ran nothing, did not pass.
export interface Counts { passed: number; failed: number; skipped: number }

interface VitestReport { numPassedTests: number; numFailedTests: number; numFailedTestSuites?: number; numPendingTests: number; numTodoTests?: number }

export function suiteCounts(what: string, report: VitestReport | undefined): { line: string; counts: Counts } {
  if (!report) return { line: `${what}: could not start (counted as 1 failed)`, counts: { passed: 0, failed: 1, skipped: 0 } };
  const counts: Counts = {
    passed: report.numPassedTests,
    // A file that fails to load or whose hooks fail counts as a failed suite, not a failed test: count both.
    failed: report.numFailedTests + (report.numFailedTestSuites ?? 0),
    skipped: report.numPendingTests + (report.numTodoTests ?? 0),
  };
  if (counts.passed + counts.failed === 0) {
    return { line: `${what}: ran no test (counted as 1 failed), ${counts.skipped} skipped`, counts: { ...counts, failed: 1 } };
  }
  return { line: `${what}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`, counts };
}
