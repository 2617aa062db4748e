// The runner output contract: a review ends with a line `## Result: PASS`
// (or WARN, FAIL, ERROR); an optional last line of JSON is telemetry.
// Anything else is an `error` result that keeps the raw output: never a guess.
export type Outcome = 'pass' | 'warn' | 'fail' | 'error';

export interface ParsedReview {
  outcome: Outcome;
  artifact: string;
  telemetry?: Record<string, unknown>;
  problem?: string;
}

const RESULT = /^##\s*Result:\s*(PASS|WARN|FAIL|ERROR)\s*$/;

export function parseReview(raw: string): ParsedReview {
  const lines = raw.replace(/\r\n/g, '\n').replace(/\s+$/, '').split('\n');
  let telemetry: Record<string, unknown> | undefined;
  const last = lines[lines.length - 1]?.trim() ?? '';
  if (last.startsWith('{')) {
    try {
      const value = JSON.parse(last) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        telemetry = value as Record<string, unknown>;
        lines.pop();
      }
    } catch { /* not telemetry: leave it in the text */ }
  }
  const results = lines.map((l, i) => ({ i, m: RESULT.exec(l.trim()) })).filter((x) => x.m);
  if (results.length === 0) return { outcome: 'error', artifact: raw, problem: 'no "## Result: PASS|WARN|FAIL|ERROR" line' };
  if (results.length > 1) return { outcome: 'error', artifact: raw, problem: `${results.length} result lines for one pair` };
  const [{ i, m }] = results;
  const trailing = lines.slice(i + 1).filter((l) => l.trim() !== '');
  if (trailing.length > 0) return { outcome: 'error', artifact: raw, problem: 'text after the result line that is not telemetry JSON' };
  return { outcome: m![1].toLowerCase() as Outcome, artifact: lines.join('\n'), ...(telemetry ? { telemetry } : {}) };
}
