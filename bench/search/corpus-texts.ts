// The headline data set: vectors the product itself would store. Texts are
// excerpts of the commonplace-kb corpus, embedded by the server's own
// offline embedder (src/search/embedder.ts, FeatureHashEmbedder), and the
// queries are the corpus's titles and headings: short phrases, as people
// type them into search.
//
// The corpus has about 400 notes and 14,500 sentences, so 100,000 texts are
// built as excerpts of one note each: 1 to 3 of its prose sentences (heading
// lines excluded, so no query is itself a data point), picked by a seeded
// PRNG, kept in the note's order, and distinct (no two rows have the same
// text, so the exact top 10 has no ties from duplicates). A note's excerpts
// share its vocabulary, much as the chunks of a long document do.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FeatureHashEmbedder } from '../../src/search/embedder.js';
import { prng } from '../freshness/lib.js';
import type { VectorSource } from './data.js';

interface Note { sentences: string[]; headings: string[] }

function readNotes(root: string): Note[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.md')) files.push(full);
    }
  };
  walk(root);
  return files.map((file) => {
    const body = readFileSync(file, 'utf8').replace(/^---\n[\s\S]*?\n---\n/, '');
    const lines = body.split('\n');
    const headings = lines.filter((l) => /^#{1,3} /.test(l)).map((l) => l.replace(/^#+\s*/, '').trim());
    const prose = lines.filter((l) => !/^#/.test(l)).join('\n');
    const sentences = prose.split(/(?<=[.!?])\s+|\n\s*\n/).map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => s.length >= 30);
    return { sentences, headings };
  }).filter((n) => n.sentences.length > 0);
}

export interface CorpusTexts {
  /** `rows` distinct excerpts, in a fixed order. */
  data: string[];
  /** Titles and headings of at least two words, shuffled, `queries` of them. */
  queries: string[];
  notes: number;
  sentences: number;
}

export function corpusTexts(root: string, rows: number, queries: number, seed = 7): CorpusTexts {
  const notes = readNotes(join(root, 'kb'));
  const rand = prng(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const seen = new Set<string>();
  const data: string[] = [];
  for (let attempts = 0; data.length < rows; attempts++) {
    if (attempts > rows * 20) throw new Error(`corpus: only ${data.length} distinct excerpts after ${attempts} attempts`);
    const note = notes[pick(notes.length)];
    const count = 1 + pick(3);
    const at = new Set(Array.from({ length: Math.min(count, note.sentences.length) }, () => pick(note.sentences.length)));
    const text = [...at].sort((a, b) => a - b).map((i) => note.sentences[i]).join(' ');
    if (seen.has(text)) continue;
    seen.add(text);
    data.push(text);
  }
  const phrases = [...new Set(notes.flatMap((n) => n.headings))].filter((h) => h.split(/\s+/).length >= 2);
  for (let i = phrases.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [phrases[i], phrases[j]] = [phrases[j], phrases[i]];
  }
  if (phrases.length < queries) throw new Error(`corpus: ${phrases.length} titles and headings, ${queries} queries asked for`);
  return { data, queries: phrases.slice(0, queries), notes: notes.length, sentences: notes.reduce((s, n) => s + n.sentences.length, 0) };
}

/** Embeds the texts in order with the product's offline embedder. */
export function embeddedSource(texts: string[], describe: string): VectorSource {
  const embedder = new FeatureHashEmbedder();
  let i = 0;
  return {
    name: 'corpus',
    describe,
    next: () => {
      if (i >= texts.length) throw new Error('corpus source exhausted');
      return Float64Array.from(embedder.vector(texts[i++]));
    },
  };
}
