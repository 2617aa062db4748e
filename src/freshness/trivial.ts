// Trivial changes: a gate's frontmatter says which parts of a note it
// `watches` (body, title, description; all when absent). A note change that
// touches none of them is trivial for that gate. Decided from the two exact
// snapshot texts, never from a client's say-so.
import frontMatter from 'front-matter';

export const NOTE_PARTS = ['title', 'description', 'body'] as const;
export type NotePart = (typeof NOTE_PARTS)[number];

export interface NoteParts {
  title: string | null;
  description: string | null;
  body: string;
  /** Frontmatter fields other than title and description, canonicalised. */
  otherMetadata: string;
}

/**
 * Split a note into its parts. The title is the frontmatter `title` when
 * present, else the first `# ` heading, which then does not count as body.
 * Throws when the frontmatter is not valid YAML.
 */
export function noteParts(text: string): NoteParts {
  const parsed = frontMatter<Record<string, unknown>>(text);
  const attrs = parsed.attributes ?? {};
  let body = parsed.body;
  let title = typeof attrs.title === 'string' ? attrs.title : null;
  if (title === null) {
    const heading = /^[ \t]*#[ \t]+(.+?)[ \t#]*$/m.exec(body);
    if (heading) {
      title = heading[1].trim();
      body = body.slice(0, heading.index) + body.slice(heading.index + heading[0].length);
    }
  }
  const { title: _t, description, ...rest } = attrs;
  void _t;
  return {
    title,
    description: description === undefined || description === null ? null : String(description),
    body: body.trim(),
    otherMetadata: JSON.stringify(sortKeys(rest)),
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value instanceof Date ? value.toISOString() : value;
}

/** The parts a gate watches; null means every part (no `watches`, or one we cannot read). */
export function gateWatches(gateText: string): NotePart[] | null {
  let attrs: Record<string, unknown>;
  try {
    attrs = frontMatter<Record<string, unknown>>(gateText).attributes ?? {};
  } catch {
    return null;
  }
  const watches = attrs.watches;
  if (watches === undefined || watches === null) return null;
  const list = Array.isArray(watches) ? watches : [watches];
  if (list.length === 0 || !list.every((w): w is NotePart => typeof w === 'string' && (NOTE_PARTS as readonly string[]).includes(w))) return null;
  return [...new Set(list)];
}

export type TrivialVerdict =
  | { trivial: true; changed: string[] }
  | { trivial: false; reason: 'watched_part_changed'; changed: string[]; watched: NotePart[] | 'all' }
  | { trivial: false; reason: 'unparseable_note'; detail: string };

/**
 * Compare the accepted and current note texts under a gate's watches.
 * `changed` names every part that differs (including `metadata` for other
 * frontmatter); a gate that watches everything treats any change as real.
 */
export function classifyNoteChange(acceptedText: string, currentText: string, watches: NotePart[] | null): TrivialVerdict {
  let before: NoteParts;
  let after: NoteParts;
  try {
    before = noteParts(acceptedText);
    after = noteParts(currentText);
  } catch (err) {
    return { trivial: false, reason: 'unparseable_note', detail: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
  const changed: string[] = NOTE_PARTS.filter((p) => before[p] !== after[p]);
  if (before.otherMetadata !== after.otherMetadata) changed.push('metadata');
  if (changed.length === 0 && acceptedText !== currentText) changed.push('formatting');
  if (watches === null) {
    return changed.length === 0 ? { trivial: true, changed } : { trivial: false, reason: 'watched_part_changed', changed, watched: 'all' };
  }
  const touched = changed.filter((p) => (watches as string[]).includes(p));
  return touched.length === 0 ? { trivial: true, changed } : { trivial: false, reason: 'watched_part_changed', changed, watched: watches };
}
