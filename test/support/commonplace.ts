// The real Commonplace review store from ../shared/corpus, unpacked into a
// temp folder (never committed), plus smaller and deliberately broken
// copies of it, and the app served over HTTP so the `gatehouse` bin can talk
// to it on whichever database this run tests.
import { type ChildProcess, execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { serve } from '@hono/node-server';
import type { DatabaseSync } from 'node:sqlite';
import { loadSqlite } from '../../src/cli/commonplace-store.js';
import { CORPUS_ROOT } from './corpus.js';

export const STORE_GZ = new URL('../../../shared/corpus/commonplace-store/commonplace-store.sqlite.gz', import.meta.url).pathname;
export { CORPUS_ROOT };

const bin = new URL('../../bin/gatehouse.mjs', import.meta.url).pathname;

export async function unpackStore(dest: string): Promise<string> {
  await pipeline(createReadStream(STORE_GZ), createGunzip(), createWriteStream(dest));
  return dest;
}

export function openSqlite(file: string, readOnly = true): DatabaseSync {
  const { DatabaseSync: Db } = loadSqlite();
  // Foreign keys off: the broken copies need references that dangle.
  return new Db(file, { readOnly, enableForeignKeyConstraints: false });
}

/** Keep only the first `keep` baselines (and what they use), for tests that need not import 14,177 pairs. */
export function shrinkStore(file: string, keep: number): void {
  const db = openSqlite(file, false);
  db.exec(`
    delete from review_freshness_evidence where target_id > ${keep};
    delete from freshness_inputs where target_id > ${keep};
    delete from freshness_baselines where target_id > ${keep};
    delete from review_pairs where review_pair_id not in (select evidence_review_pair_id from review_freshness_evidence);
    delete from artifact_snapshots where snapshot_id not in (select accepted_snapshot_id from freshness_inputs);`);
  db.close();
}

export interface Baseline { note_path: string; criterion_path: string; model_partition: string; note_sha256: string; criterion_sha256: string }

/** The store's current baselines, read through its own view: the expectation, independent of the importer. */
export function storeBaselines(file: string): Baseline[] {
  const db = openSqlite(file);
  const rows = db.prepare(`select note_path, criterion_path, model_partition, baseline_note_hash as note_sha256, baseline_criterion_hash as criterion_sha256
                           from current_review_freshness_baselines order by note_path, criterion_path`).all() as unknown as Baseline[];
  db.close();
  return rows;
}

/** The app over HTTP; `failImports(n)` makes the next import requests after n more answer 503, as a server going away would. */
export async function serveApp(fetch: (req: Request) => Response | Promise<Response>) {
  let allowed = Infinity;
  const server = serve({
    fetch: async (req: Request) => {
      if (req.method === 'POST' && new URL(req.url).pathname.endsWith('/imports')) {
        if (allowed <= 0) return new Response(JSON.stringify({ type: 'about:blank', title: 'Unavailable', status: 503, code: 'unavailable', detail: 'injected outage' }), { status: 503, headers: { 'content-type': 'application/problem+json' } });
        allowed -= 1;
      }
      return fetch(req);
    },
    port: 0,
    hostname: '127.0.0.1',
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    failImports(after: number) { allowed = after; },
    healImports() { allowed = Infinity; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Run { code: number; stdout: string; stderr: string; json: any }

/** The real bin, as a person runs it, in `cwd`. */
export function gatehouse(cwd: string, token: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child: ChildProcess = execFile(process.execPath, [bin, ...args], {
      cwd, env: { ...process.env, GATEHOUSE_TOKEN: token, GATEHOUSE_CREDENTIALS: join(cwd, '.no-credentials.json'), NO_COLOR: '1' }, maxBuffer: 256 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      let json: unknown = null;
      try { json = JSON.parse(stdout); } catch { /* not --json */ }
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 2) : 0, stdout, stderr, json });
    });
    void child;
  });
}
