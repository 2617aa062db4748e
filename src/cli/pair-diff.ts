// `status --diff`: what changed in each stale pair, diffed here. The CLI has
// the current texts on disk and the select answer names the accepted hashes,
// so the server is asked only for accepted texts, each distinct one once (a
// note stale against 42 gates is one request, not 42 diff calls).
import { createTwoFilesPatch } from 'diff';
import { ApiError } from './client.js';

export interface StalePair { note_path: string; gate_path: string; note_sha256: string; gate_sha256: string; accepted_note_sha256: string | null; accepted_gate_sha256: string | null }

/** Reads a stored text by hash; null when the server no longer holds it (collected). */
export type FetchText = (sha256: string, path: string) => Promise<string | null>;

export function snapshotFetcher(api: { request<T>(method: string, path: string, body?: unknown, accept?: string): Promise<{ body: T }> }, project: string): FetchText {
  return async (sha256, path) => {
    try {
      const { body } = await api.request<string>('GET', `${project}/snapshots/${sha256}?${new URLSearchParams({ path })}`, undefined, 'text/markdown');
      return body;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  };
}

export class PairDiffer {
  private readonly accepted = new Map<string, Promise<string | null>>();
  constructor(private readonly current: Map<string, string>, private readonly fetchText: FetchText) {}

  /** The accepted text of a hash, fetched at most once. */
  private acceptedText(sha256: string, path: string): Promise<string | null> {
    if (!this.accepted.has(sha256)) this.accepted.set(sha256, this.fetchText(sha256, path));
    return this.accepted.get(sha256)!;
  }

  private async part(path: string, acceptedSha: string | null, currentSha: string): Promise<string | null> {
    if (!acceptedSha || acceptedSha === currentSha) return null;
    const now = this.current.get(path);
    const then = await this.acceptedText(acceptedSha, path);
    if (now === undefined || then === null) return null;
    // The same headers the server's GET …/diff writes, so both read alike.
    return createTwoFilesPatch(`a/${path}`, `b/${path}`, then, now, `accepted ${acceptedSha.slice(0, 12)}`, `current ${currentSha.slice(0, 12)}`);
  }

  /** The note's and the gate's unified diffs (each null when that side did not change or a text is gone). */
  async diff(p: StalePair): Promise<(string | null)[]> {
    return [await this.part(p.note_path, p.accepted_note_sha256, p.note_sha256), await this.part(p.gate_path, p.accepted_gate_sha256, p.gate_sha256)];
  }
}
