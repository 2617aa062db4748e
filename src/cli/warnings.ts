// Warnings a command meets many times (one per job, one per item) are
// printed once each, when first seen, and counted; the summary at the end
// says how often each repeated.
import { color } from './session.js';

export class Warnings {
  private readonly seen = new Map<string, number>();
  constructor(private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}

  add(warning: string): void {
    const n = this.seen.get(warning) ?? 0;
    this.seen.set(warning, n + 1);
    if (n === 0) this.write(color.yellow(`warning: ${warning}`));
  }

  addAll(warnings: readonly string[] | undefined): void {
    for (const w of warnings ?? []) this.add(w);
  }

  /** Each distinct warning with its count, for --json answers. */
  counted(): { warning: string; count: number }[] {
    return [...this.seen].map(([warning, count]) => ({ warning, count }));
  }

  /** One line per warning seen more than once. */
  summarize(): void {
    for (const [w, n] of this.seen) if (n > 1) this.write(color.yellow(`warning (${n} times): ${w}`));
  }
}
