// gatehouse search: past reviews and notes like a query.
import pc from 'picocolors';
import { visible } from '../../platform/visible.js';
import { color, openSession, printJson } from '../session.js';

interface Highlight { start: number; end: number }
interface Hit { subject: { kind: string }; note_path: string | null; gate_path: string | null; outcome: string | null; snippet: string; highlights?: Highlight[]; score: number; text_rank: number | null; vector_rank: number | null }

const MAX_SHOWN = 240;
// Line breaks and tabs become one space (a snippet is one line); \s is not used, as it would hide U+FEFF.
const BREAKS = /[ \t\n\r\f\v\u2028\u2029]+/g;

/**
 * A snippet for a terminal: the server's plain text (docs/search.md) with
 * control, bidi and zero-width characters as visible \uXXXX, so stored text
 * can never send escape sequences to the terminal or reorder the line, and
 * the highlights in bold when `bold` (stdout is a terminal), else unmarked.
 */
export function renderSnippet(snippet: string, highlights: Highlight[], bold: boolean): string {
  const c = pc.createColors(bold);
  const parts: { text: string; hl: boolean }[] = [];
  let at = 0;
  for (const h of [...highlights].sort((x, y) => x.start - y.start)) {
    if (h.start < at || h.end <= h.start || h.end > snippet.length) continue; // a range the contract rules out: ignored
    parts.push({ text: snippet.slice(at, h.start), hl: false }, { text: snippet.slice(h.start, h.end), hl: true });
    at = h.end;
  }
  parts.push({ text: snippet.slice(at), hl: false });
  let shown = 0;
  let out = '';
  for (const p of parts) {
    if (shown >= MAX_SHOWN) break;
    const text = visible(p.text.replace(BREAKS, ' ')).slice(0, MAX_SHOWN - shown);
    shown += text.length;
    out += p.hl && text ? c.bold(text) : text;
  }
  return out.trim();
}

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
  const bold = Boolean(process.stdout.isTTY);
  for (const hit of body.results) {
    // Paths stored before the path rule may still hold hidden characters: shown escaped too.
    const [note, gate] = [hit.note_path, hit.gate_path].map((p) => visible(p ?? '-'));
    const what = hit.subject.kind === 'job_item' ? `review of ${note} x ${gate} (${visible(hit.outcome ?? '-')})` : `note ${note}`;
    process.stdout.write(`${color.bold(what)}  ${color.dim(`score ${hit.score.toFixed(4)} · text #${hit.text_rank ?? '-'} · vector #${hit.vector_rank ?? '-'}`)}\n  ${renderSnippet(hit.snippet, hit.highlights ?? [], bold)}\n`);
  }
  if (body.results.length === 0) process.stdout.write('nothing found\n');
  return 0;
}
