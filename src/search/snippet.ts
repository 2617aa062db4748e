// Search snippets as plain text with highlight ranges (issue 16, finding 4).
// ts_headline marks matches by inserting StartSel/StopSel into the stored
// text as it is; with the default `<b>`/`</b>` the answer mixed its own markup
// with whatever HTML an agent wrote into an artifact, so no client could tell
// them apart. Instead the marks are two C0 controls, removed from the text
// before the headline so they can only be ts_headline's, and split out here:
// the snippet is the stored text, never markup, and `highlights` say where
// the matches are. docs/search.md describes the contract.
import { sql, type SQL } from 'drizzle-orm';

/** Start and stop marks: U+0001 and U+0002 (no markdown or artifact needs them). */
const START = '\u0001';
const STOP = '\u0002';

const OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`;

/** The headline of `col` for `query`, with the marks stripped from the text first (bound as parameters, not SQL text). */
export function headlineSql(col: SQL, query: SQL): SQL {
  return sql`ts_headline('english', translate(left(${col}, 20000), ${START + STOP}, ''), ${query}, ${OPTIONS})`;
}

export interface Highlight { start: number; end: number }

/**
 * The plain text of a marked headline and its highlights, as offsets into
 * that text in UTF-16 code units (JavaScript string indices), end exclusive,
 * in order and never overlapping or empty.
 */
export function splitHeadline(marked: string): { snippet: string; highlights: Highlight[] } {
  let snippet = '';
  const highlights: Highlight[] = [];
  let open: number | null = null;
  for (const part of marked.split(/([\u0001\u0002])/)) {
    if (part === START) open ??= snippet.length;
    else if (part === STOP) {
      if (open !== null && snippet.length > open) highlights.push({ start: open, end: snippet.length });
      open = null;
    } else snippet += part;
  }
  // ts_headline closes what it opens; if a fragment ever ends inside a mark, close it at the end.
  if (open !== null && snippet.length > open) highlights.push({ start: open, end: snippet.length });
  // ts_headline marks adjacent words separately ("<b>a</b> <b>b</b>"); they stay separate ranges.
  return { snippet, highlights };
}
