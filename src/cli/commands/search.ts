// gatehouse search: past reviews and notes like a query.
import { color, openSession, printJson } from '../session.js';

interface Hit { subject: { kind: string }; note_path: string | null; gate_path: string | null; outcome: string | null; snippet: string; score: number; text_rank: number | null; vector_rank: number | null }

export async function searchCommand(opts: { query: string; k?: number; mode?: string; subject?: string; gate?: string; outcome?: string; partition?: string; prefix?: string; json?: boolean }): Promise<number> {
  const s = await openSession();
  const { body } = await s.api.post<{ results: Hit[] }>(`${s.project}/search`, {
    query: opts.query, k: opts.k ?? 10, mode: opts.mode ?? 'hybrid',
    ...(opts.subject ? { subject: opts.subject } : {}), ...(opts.gate ? { gate_path: opts.gate } : {}),
    ...(opts.outcome ? { outcome: opts.outcome } : {}), ...(opts.partition ? { partition: opts.partition } : {}),
    ...(opts.prefix ? { path_prefix: opts.prefix } : {}),
  });
  if (opts.json) {
    printJson(body);
    return 0;
  }
  for (const hit of body.results) {
    const what = hit.subject.kind === 'job_item' ? `review of ${hit.note_path} x ${hit.gate_path} (${hit.outcome})` : `note ${hit.note_path}`;
    process.stdout.write(`${color.bold(what)}  ${color.dim(`score ${hit.score.toFixed(4)} · text #${hit.text_rank ?? '-'} · vector #${hit.vector_rank ?? '-'}`)}\n  ${hit.snippet.replace(/\s+/g, ' ').slice(0, 240)}\n`);
  }
  if (body.results.length === 0) process.stdout.write('nothing found\n');
  return 0;
}
