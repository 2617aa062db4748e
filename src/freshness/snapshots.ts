// Snapshots: the exact texts reviews were made against, per project, path
// and SHA-256 of the UTF-8 bytes. Written once; duplicates are free.
import { and, eq, sql } from 'drizzle-orm';
import { snapshots } from '../../drizzle/schema.js';
import type { Limits } from '../platform/config.js';
import { rowsOf, toArray } from '../platform/db.js';
import { ApiError, notFound, type FieldError } from '../platform/errors.js';
import { iso } from '../platform/schemas.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';
import { sha256Hex } from './names.js';

export interface ManifestItem { path: string; sha256: string }
export interface UploadFile { path: string; sha256: string; body: string }

/** Which (path, sha256) the project does not hold: one anti-join over the whole list. */
export async function findMissing(ctx: TenantContext, slug: string, files: ManifestItem[]) {
  return inProject(ctx, slug, async (tx, project) => {
    const rows = rowsOf<{ path: string; sha256: string }>(await tx.execute(sql`
      select m.path, m.sha256
      from unnest(${toArray(files.map((f) => f.path))}::text[], ${toArray(files.map((f) => f.sha256))}::text[]) as m(path, sha256)
      where not exists (
        select 1 from snapshots s
        where s.project_id = ${project.id} and s.path = m.path and s.sha256 = m.sha256)`));
    const seen = new Set<string>();
    const missing = rows.filter((r) => !seen.has(`${r.path}\0${r.sha256}`) && seen.add(`${r.path}\0${r.sha256}`));
    return { missing, checked: files.length };
  });
}

/**
 * Hash every body as the server sees it and refuse the whole batch if any
 * claim differs, any body is not well-formed text, or any is over the limit:
 * nothing of a bad batch is stored.
 */
export async function verifyUpload(files: UploadFile[], limits: Limits) {
  if (files.length > limits.maxSnapshotsPerBatch) {
    throw new ApiError('payload_too_large', `At most ${limits.maxSnapshotsPerBatch} files per upload; this one has ${files.length}`, { limit: 'max_snapshots_per_batch', limit_value: limits.maxSnapshotsPerBatch });
  }
  const encoder = new TextEncoder();
  const errors: FieldError[] = [];
  const verified: (UploadFile & { byteSize: number })[] = [];
  for (const [i, file] of files.entries()) {
    if (!file.body.isWellFormed()) {
      errors.push({ path: `body.files.${i}.body`, message: 'is not valid UTF-8 text (lone surrogate)' });
      continue;
    }
    if (file.body.includes('\u0000')) {
      errors.push({ path: `body.files.${i}.body`, message: 'must not contain NUL characters' });
      continue;
    }
    const bytes = encoder.encode(file.body);
    if (bytes.byteLength > limits.maxSnapshotBytes) {
      throw new ApiError('payload_too_large', `files.${i} (${file.path}) is ${bytes.byteLength} bytes; the limit is ${limits.maxSnapshotBytes}`, { limit: 'max_snapshot_bytes', limit_value: limits.maxSnapshotBytes });
    }
    const actual = await sha256Hex(bytes);
    if (actual !== file.sha256) {
      errors.push({ path: `body.files.${i}.sha256`, message: `claimed ${file.sha256} but the body hashes to ${actual}` });
      continue;
    }
    verified.push({ ...file, byteSize: bytes.byteLength });
  }
  if (errors.length > 0) throw new ApiError('validation_failed', `${errors.length} of ${files.length} files were refused; nothing was stored`, { errors });
  return verified;
}

export async function uploadSnapshots(ctx: TenantContext, slug: string, files: UploadFile[], limits: Limits) {
  // The project first: a caller who may not see it learns nothing about its input.
  return inProject(ctx, slug, async (tx, project) => {
    const verified = await verifyUpload(files, limits);
    let stored = 0;
    for (let i = 0; i < verified.length; i += 500) {
      const chunk = verified.slice(i, i + 500);
      const inserted = await tx.insert(snapshots).values(chunk.map((f) => ({
        orgId: ctx.member.orgId, projectId: project.id, path: f.path, body: f.body, sha256: f.sha256, byteSize: f.byteSize, createdBy: ctx.member.userId,
      }))).onConflictDoNothing().returning({ id: snapshots.id });
      stored += inserted.length;
    }
    return { stored, already_held: verified.length - stored, files: verified.map((f) => ({ path: f.path, sha256: f.sha256, byte_size: f.byteSize })) };
  });
}

export async function getSnapshot(ctx: TenantContext, slug: string, sha256: string, path?: string) {
  return inProject(ctx, slug, async (tx, project) => {
    const rows = await tx.select().from(snapshots)
      .where(and(eq(snapshots.projectId, project.id), eq(snapshots.sha256, sha256), path ? eq(snapshots.path, path) : undefined))
      .orderBy(snapshots.path).limit(100);
    if (rows.length === 0) throw notFound(path ? `Snapshot ${sha256} of ${path}` : `Snapshot ${sha256}`);
    const [first] = rows;
    return {
      sha256,
      path: first.path,
      paths: rows.map((r) => r.path),
      byte_size: first.byteSize,
      body: first.body,
      created_at: iso(first.createdAt),
    };
  });
}
