// Names the freshness key is made of: repo-relative paths, content hashes,
// model partitions. Validated once here; every route and rule uses these.
import { z } from '@hono/zod-openapi';

/**
 * Characters that make a path display as something it is not (issue 16,
 * finding 10): bidi embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069) reorder what a reader sees ("evil\u202Edm.exe"), zero-width
 * characters (U+200B-U+200D, U+2060, U+FEFF) make two names look the same,
 * and C1 controls (U+0080-U+009F) are terminal escapes on some terminals.
 * Exported so the CLI and the dashboard use the same set.
 */
export const INVISIBLE_PATH_CHARS = /[\u0080-\u009f\u200b-\u200d\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;

/**
 * Repo-relative, `/`-separated, already normalised: no leading `/`, no `.` or
 * `..` segments, no empty segments, no backslash, NUL or control characters,
 * nor the invisible characters above.
 * A path is refused rather than rewritten, so the client and the server
 * never disagree about which file a hash belongs to.
 */
export function pathProblem(path: string): string | null {
  if (path.length === 0) return 'must not be empty';
  if (path.length > 1024) return 'must be at most 1024 characters';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain NUL or control characters';
  if (INVISIBLE_PATH_CHARS.test(path)) return 'must not contain bidi controls, zero-width characters or C1 controls (U+0080-U+009F)';
  if (path.includes('\\')) return 'must use / as the separator, not \\';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'must be relative to the repository root';
  const segments = path.split('/');
  if (segments.some((s) => s === '')) return 'must not have empty segments (// or a trailing /)';
  if (segments.some((s) => s === '.' || s === '..')) return 'must not contain . or .. segments';
  if (path !== path.normalize('NFC')) return 'must be in Unicode NFC form';
  return null;
}

export const RepoPath = z.string().superRefine((path, ctx) => {
  const problem = pathProblem(path);
  if (problem) ctx.addIssue({ code: 'custom', message: `path ${problem}` });
}).openapi({
  // The format marks every path-typed field, so a generated test finds them all in openapi.yaml.
  format: 'repo-path',
  description: 'Repo-relative path, `/`-separated and normalised; no control, bidi, zero-width or C1 characters',
  example: 'kb/notes/example.md',
});

/** The start of a path (a search filter): any length up to a path's, none of the characters a path refuses. */
export const PathPrefix = z.string().min(1).max(1024).superRefine((prefix, ctx) => {
  if (/[\u0000-\u001f\u007f]/.test(prefix) || INVISIBLE_PATH_CHARS.test(prefix)) {
    ctx.addIssue({ code: 'custom', message: 'path prefix must not contain control, bidi, zero-width or C1 characters' });
  }
}).openapi({ format: 'repo-path-prefix', description: 'The start of a repo-relative path; the same characters refused as in a path', example: 'kb/notes/' });

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256 (64 characters)')
  .openapi({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });

/**
 * Model partitions are opaque declared keys (see the registry). The
 * character set keeps them safe in URLs, logs and file names.
 */
export const PARTITION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+\/-]{0,127}$/;
export const ModelPartition = z.string().regex(PARTITION_PATTERN, 'a model partition: letters, digits and . _ : @ + / -, starting with a letter or digit, at most 128 characters')
  .openapi({ example: 'claude-opus-4/high' });

export const ManifestEntry = z.object({ path: RepoPath, sha256: Sha256 }).strict().openapi('ManifestEntry');

export const PairRef = z.object({
  note_path: RepoPath,
  note_sha256: Sha256,
  gate_path: RepoPath,
  gate_sha256: Sha256,
}).strict().openapi('PairRef');

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
