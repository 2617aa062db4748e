// The text sanity check of the search benchmark: the commonplace-kb corpus
// uploaded through the API, embedded by the scheduled drain, and searched
// through POST /v1/projects/{p}/search by each note's title.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { projects } from '../../drizzle/schema.js';
import { rowsOf, withTenant } from '../../src/platform/db.js';
import { drainProject } from '../../src/search/embed-queue.js';
import { FeatureHashEmbedder } from '../../src/search/embedder.js';
import { type BenchDatabase, type BenchServer, fmtMs, median, now, percentile, sha256Hex } from '../freshness/lib.js';
import { acceptPairs, analyze } from '../freshness/seed.js';
import { fail, K } from './measure.js';

export interface CorpusCtx { server: BenchServer; database: BenchDatabase; token: string; orgId: string; corpusRoot: string; report: (line?: string) => void; log: (line: string) => void }

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile() && entry.name.endsWith('.md')) out.push(full);
  }
  return out;
}

export async function corpusCheck(ctx: CorpusCtx): Promise<boolean> {
  const { server, database, token, orgId, corpusRoot, report, log } = ctx;
  log(`corpus: ${corpusRoot}`);
  const project = await server.createProject(token, 'commonplace-kb');
  const read = async (root: string) => Promise.all((await walk(join(corpusRoot, root))).sort().map(async (full) => {
    const body = await readFile(full, 'utf8');
    return { path: relative(corpusRoot, full).split(sep).join('/'), body, sha256: sha256Hex(body) };
  }));
  const notes = await read('kb/notes');
  const gates = await read('kb/instructions/review-gates');
  if (notes.length === 0 || gates.length === 0) throw new Error(`corpus: found ${notes.length} notes and ${gates.length} gates under ${corpusRoot}/kb`);
  let t = now();
  let batch: typeof notes = [];
  let size = 0;
  const send = async () => {
    if (batch.length === 0) return;
    await server.expect('POST', `/v1/projects/${project.slug}/snapshots`, token, { files: batch }, 200);
    batch = [];
    size = 0;
  };
  for (const f of [...notes, ...gates]) {
    if (batch.length === 1000 || size + f.body.length > 6 * 1024 * 1024) await send();
    batch.push(f);
    size += f.body.length;
  }
  await send();
  const uploadMs = now() - t;
  // Notes are searchable once some acceptance uses them: accept every pair by SQL.
  const manifest = (files: typeof notes) => files.map(({ path, sha256 }) => ({ path, sha256 }));
  await acceptPairs(database.db, { orgId, projectId: project.id }, 'claude-opus-4/high', manifest(notes), manifest(gates));
  await analyze(database.db);

  const searchPath = `/v1/projects/${project.slug}/search`;
  const embedded = async () => rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from embeddings where project_id = ${project.id}::uuid`))[0].n;
  const titleOf = (body: string) => body.match(/^# (.+)$/m)?.[1].trim() ?? null;

  // The scheduled drain's work embeds them (search itself only catches up with the newest work).
  const drains: string[] = [];
  const embedder = new FeatureHashEmbedder();
  for (let run = 1; run <= 20; run++) {
    t = now();
    // This project only, as drainAllProjects does for each (the synthetic one has no texts to embed).
    const n = await withTenant(database.db, { orgId }, async (tx) => {
      const [row] = await tx.select().from(projects).where(eq(projects.id, project.id));
      return drainProject(tx, row, embedder);
    });
    if (n === 0) break;
    drains.push(`${n} in ${fmtMs(now() - t)}`);
  }
  if ((await embedded()) !== notes.length) fail(`corpus: ${await embedded()} of ${notes.length} notes embedded after ${drains.length} drains`);

  const picks = [0, 1, 2, 3, 4].map((i) => notes[Math.floor(((i + 0.5) * notes.length) / 5)]);
  const table: string[][] = [];
  const times: number[] = [];
  let ok = true;
  let firstInHybrid = 0;
  for (const note of picks) {
    const title = titleOf(note.body);
    if (!title) throw new Error(`corpus: ${note.path} has no "# " title`);
    const row = [title.length > 60 ? `${title.slice(0, 57)}…` : title];
    for (const mode of ['text', 'vector', 'hybrid'] as const) {
      t = now();
      const answer = await server.expect('POST', searchPath, token, { query: title, k: K, mode }, 200);
      times.push(now() - t);
      const rank = answer.results.findIndex((r: { note_path: string | null }) => r.note_path === note.path) + 1;
      if (rank === 0) ok = false;
      if (mode === 'hybrid' && rank === 1) firstInHybrid++;
      row.push(rank === 0 ? `not in top ${K}` : `#${rank}`);
    }
    table.push(row);
  }
  report('');
  report(`=== corpus: ${notes.length} notes + ${gates.length} gates of commonplace-kb, uploaded through POST /snapshots in ${fmtMs(uploadMs)}; every pair accepted by SQL`);
  report(`the scheduled drain's drainProject (offline embedder) embedded them: ${drains.join(', then ')}`);
  report(`rank of the note whose title is the query (POST ${searchPath.replace(project.slug, '{p}')}, k ${K}):`);
  const widths = [Math.max(5, ...table.map((r) => r[0].length)), 14, 14, 14];
  report(`   ${['title', 'text', 'vector', 'hybrid'].map((h, i) => h.padEnd(widths[i])).join('  ')}`);
  for (const r of table) report(`   ${r.map((c, i) => c.padEnd(widths[i])).join('  ')}`);
  report(`   search call over loopback HTTP: median ${fmtMs(median(times))} (p95 ${fmtMs(percentile(times, 95))}, ${times.length} calls)`);
  report(`   sanity (each note in the top ${K} in every mode): ${ok ? 'PASS' : '*** MISS ***'}; first in hybrid for ${firstInHybrid} of ${picks.length}`);
  return ok;
}
