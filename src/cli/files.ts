// The knowledge base on disk: which files are notes and gates, their exact
// texts and hashes, and which gates apply to which notes.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import frontMatter from 'front-matter';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import { INVISIBLE_PATH_CHARS } from '../freshness/names.js';
import { visible } from '../platform/visible.js';
import type { Config } from './config.js';
import { CliError } from './errors.js';

export interface FileText { path: string; body: string; sha256: string }

export const sha256 = (body: string) => createHash('sha256').update(body, 'utf8').digest('hex');

async function read(root: string, patterns: string[]): Promise<FileText[]> {
  const paths = (await glob(patterns, { cwd: root, onlyFiles: true, dot: false })).sort();
  refuseHiddenNames(paths);
  return Promise.all(paths.map(async (path) => {
    const body = await readFile(join(root, path), 'utf8');
    return { path, body, sha256: sha256(body) };
  }));
}

/**
 * A path a person typed, as the knowledge base names it: relative to the
 * working directory (as a shell completes it), else relative to the root
 * (as `status` prints it). A path outside the root is refused.
 */
export function kbPath(config: Config, typed: string, cwd = process.cwd()): string {
  const fromCwd = relative(config.root, resolve(cwd, typed)).split(sep).join('/');
  const inside = fromCwd !== '' && !fromCwd.startsWith('..') && !isAbsolute(fromCwd);
  if (inside && existsSync(join(config.root, fromCwd))) return fromCwd;
  if (!isAbsolute(typed) && existsSync(join(config.root, typed))) return typed.split(sep).join('/');
  if (inside) return fromCwd;
  throw new CliError(`${typed} is outside the knowledge base (${config.root})`);
}

/**
 * The server refuses paths with control, bidi, zero-width or C1 characters
 * (they make a name display as another). Refused here first, naming each
 * file with the characters made visible, rather than as a 422 mid-push.
 */
export function refuseHiddenNames(paths: string[]): void {
  const bad = paths.filter((p) => /[\u0000-\u001f\u007f]/.test(p) || INVISIBLE_PATH_CHARS.test(p));
  if (bad.length === 0) return;
  throw new CliError(
    `${bad.length} file name(s) contain control, bidi, zero-width or C1 characters, which Gatehouse refuses in paths:\n${bad.slice(0, 20).map((p) => `  ${visible(p)}`).join('\n')}`,
    'Rename these files (or leave them out of the notes and gates globs) and run the command again.',
  );
}

export interface Workspace { notes: FileText[]; gates: FileText[] }

/**
 * A glob that matches no file is a misconfiguration, not an empty knowledge
 * base: left alone, `status` would report "0 pairs" and pass a CI job.
 * Each positive pattern must match something ("!" patterns only exclude).
 */
async function refuseEmptyGlobs(root: string, field: 'notes' | 'gates', patterns: string[]) {
  for (const pattern of patterns.filter((p) => !p.startsWith('!'))) {
    const found = await glob([pattern], { cwd: root, onlyFiles: true, dot: false });
    if (found.length === 0) {
      throw new CliError(`"${field}" in gatehouse.json: the glob ${JSON.stringify(pattern)} matches no file under ${root}`,
        'globs are relative to the folder of gatehouse.json, e.g. "kb/notes/**/*.md"');
    }
  }
}

export async function readWorkspace(config: Config): Promise<Workspace> {
  const [notes, gates] = await Promise.all([read(config.root, config.notes), read(config.root, config.gates)]);
  await refuseEmptyGlobs(config.root, 'notes', config.notes);
  await refuseEmptyGlobs(config.root, 'gates', config.gates);
  // A file matched as a gate is not also a note.
  const gatePaths = new Set(gates.map((g) => g.path));
  const onlyNotes = notes.filter((n) => !gatePaths.has(n.path));
  if (onlyNotes.length === 0) throw new CliError('"notes" in gatehouse.json matches only files that "gates" matches too: there is no note to review');
  return { notes: onlyNotes, gates };
}

const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);

function frontmatterOf(text: string): Record<string, unknown> {
  try {
    return frontMatter<Record<string, unknown>>(text).attributes ?? {};
  } catch {
    return {};
  }
}

/**
 * The pairs to check: every note x every gate, or, with `applies` rules,
 * the pairs some rule allows (gate glob, note glob, and frontmatter fields
 * the note must have). Null means "all pairs" (the cheaper manifest form).
 */
export function applicablePairs(config: Config, ws: Workspace): [FileText, FileText][] | null {
  if (!config.applies) return null;
  const rules = config.applies.map((r) => ({ gate: picomatch(list(r.gates)), note: picomatch(list(r.notes)), where: r.where }));
  const meta = new Map(ws.notes.map((n) => [n.path, frontmatterOf(n.body)]));
  const pairs: [FileText, FileText][] = [];
  for (const note of ws.notes) {
    for (const gate of ws.gates) {
      const ok = rules.some((r) => r.gate(gate.path) && r.note(note.path)
        && Object.entries(r.where ?? {}).every(([k, v]) => meta.get(note.path)![k] === v));
      if (ok) pairs.push([note, gate]);
    }
  }
  return pairs;
}

/** The selection part of a freshness or job request for this workspace. */
export function selection(config: Config, ws: Workspace) {
  const pairs = applicablePairs(config, ws);
  if (pairs === null) {
    return { notes: ws.notes.map(({ path, sha256: s }) => ({ path, sha256: s })), gates: ws.gates.map(({ path, sha256: s }) => ({ path, sha256: s })) };
  }
  return { pairs: pairs.map(([n, g]) => ({ note_path: n.path, note_sha256: n.sha256, gate_path: g.path, gate_sha256: g.sha256 })) };
}
