// What the server has accepted now, paged, and the local texts of those paths.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FileText, sha256 } from './files.js';
import type { Session } from './session.js';

export interface Accepted { note_path: string; gate_path: string; model_partition: string; revision: number; note_sha256: string; gate_sha256: string }

export async function listAccepted(s: Session, partition?: string): Promise<Accepted[]> {
  const all: Accepted[] = [];
  let cursor: string | null = null;
  do {
    const q: URLSearchParams = new URLSearchParams({ limit: '10000', ...(partition ? { model_partition: partition } : {}), ...(cursor ? { cursor } : {}) });
    const reply: { body: { items: Accepted[]; next_cursor: string | null } } = await s.api.get(`${s.project}/acceptance?${q}`);
    const body = reply.body;
    all.push(...body.items);
    cursor = body.next_cursor;
  } while (cursor);
  return all;
}

/** The local text of each path, or null when the file is gone. */
export async function readPaths(root: string, paths: Iterable<string>): Promise<Map<string, FileText | null>> {
  const out = new Map<string, FileText | null>();
  await Promise.all([...new Set(paths)].map(async (path) => {
    const full = join(root, path);
    if (!existsSync(full)) return void out.set(path, null);
    const body = await readFile(full, 'utf8');
    out.set(path, { path, body, sha256: sha256(body) });
  }));
  return out;
}
