// Names the freshness key is made of: repo-relative paths, content hashes,
// model partitions. Validated once here; every route and rule uses these.
import { z } from '@hono/zod-openapi';

/**
 * Repo-relative, `/`-separated, already normalised: no leading `/`, no `.` or
 * `..` segments, no empty segments, no backslash, NUL or control characters.
 * A path is refused rather than rewritten, so the client and the server
 * never disagree about which file a hash belongs to.
 */
export function pathProblem(path: string): string | null {
  if (path.length === 0) return 'must not be empty';
  if (path.length > 1024) return 'must be at most 1024 characters';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain NUL or control characters';
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
}).openapi({ description: 'Repo-relative path, `/`-separated and normalised', example: 'kb/notes/example.md' });

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
