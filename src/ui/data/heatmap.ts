// The heatmap's view model: the project's current files (files.ts), one call
// of the API's freshness select for them, and the last outcome of each drawn
// pair. Up to ROW_LIMIT notes are drawn one row each; beyond that, rows are
// folders (with proportions per gate) that open into their notes, and a
// flat folder with more notes than that is drawn a page at a time.
import { sql } from 'drizzle-orm';
import { rowsOf, toArray, type Tx } from '../../platform/db.js';
import { countFreshnessByGroup, selectFreshness, type SelectedPair, type Status } from '../../freshness/select.js';
import { resolvePartition } from '../../registry/resolve.js';
import type { TenantContext } from '../../tenancy/context.js';
import { inProject, type ProjectRow } from '../../tenancy/projects.js';
import { currentFiles, knownPartitions, type PartitionInfo } from './files.js';

export const ROW_LIMIT = 400;
export const PAGE_SIZE = 200;

export type Outcome = 'pass' | 'warn' | 'fail' | 'error';
export interface Cell { status: Status; reason: SelectedPair['reason']; outcome: Outcome | null }
export interface NoteRow { index: number; path: string; cells: Cell[] }
export interface FolderRow { folder: string; notes: number; cells: { fresh: number; stale: number; missing: number }[] }

export interface HeatmapView {
  project: ProjectRow;
  partitions: PartitionInfo[];
  partition: string | null;
  gates: string[];
  version: string;
  prefix: string;
  counts: { fresh: number; stale: number; missing: number; total: number };
  notesUnderPrefix: number;
  folders: FolderRow[];
  rows: NoteRow[];
  page: { number: number; count: number };
}

/** Split the notes under `prefix` into folder rows and note rows (see the header). */
export function layout(paths: string[], prefix: string, rowLimit = ROW_LIMIT) {
  let under = paths.filter((p) => p.startsWith(prefix));
  if (under.length <= rowLimit) return { prefix, folders: [] as [string, string[]][], files: under };
  // A single folder holding everything says nothing: open it.
  for (;;) {
    const next = new Set(under.map((p) => p.slice(prefix.length).split('/')[0] + (p.slice(prefix.length).includes('/') ? '/' : '')));
    const [only] = next;
    if (next.size === 1 && only.endsWith('/')) prefix += only;
    else break;
  }
  under = paths.filter((p) => p.startsWith(prefix));
  const folders = new Map<string, string[]>();
  const files: string[] = [];
  for (const p of under) {
    const rest = p.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) files.push(p);
    else {
      const folder = prefix + rest.slice(0, slash + 1);
      if (!folders.has(folder)) folders.set(folder, []);
      folders.get(folder)!.push(p);
    }
  }
  return { prefix, folders: [...folders.entries()], files };
}

export async function heatmapView(ctx: TenantContext, slug: string, q: { partition?: string; prefix?: string; page?: number }): Promise<HeatmapView> {
  return inProject(ctx, slug, async (tx, project) => {
    const partitions = await knownPartitions(tx, project.id);
    const files = await currentFiles(tx, project.id);
    const requested = q.partition || partitions[0]?.name;
    const base = {
      project, partitions, partition: null, gates: files.gates.map((g) => g.path), version: files.version, prefix: q.prefix ?? '',
      counts: { fresh: 0, stale: 0, missing: 0, total: 0 }, notesUnderPrefix: 0, folders: [], rows: [], page: { number: 1, count: 1 },
    };
    if (!requested) return base;
    const partition = (await resolvePartition(tx, ctx, project, requested, 'read')).model_partition;
    const shape = layout(files.notes.map((n) => n.path), q.prefix ?? '');
    const inScope = files.notes.filter((n) => n.path.startsWith(shape.prefix));
    const onePage = shape.folders.length === 0 && shape.files.length <= ROW_LIMIT;
    const pages = onePage ? 1 : Math.max(1, Math.ceil(shape.files.length / PAGE_SIZE));
    const pageNo = Math.min(Math.max(1, q.page ?? 1), pages);
    const drawn = new Set(onePage ? shape.files : shape.files.slice((pageNo - 1) * PAGE_SIZE, pageNo * PAGE_SIZE));
    // The API's select for the notes drawn one row each (and every gate).
    const result = await selectFreshness(tx, project.id, { modelPartition: partition, notes: inScope.filter((n) => drawn.has(n.path)), gates: files.gates });
    let counts = { fresh: result.counts.fresh, stale: result.counts.stale, missing: result.counts.missing, total: result.counts.total };
    const folders: FolderRow[] = shape.folders.map(([folder, notes]) => ({ folder, notes: notes.length, cells: files.gates.map(() => ({ fresh: 0, stale: 0, missing: 0 })) }));
    if (!onePage) {
      // Too many pairs to list: counted per folder (and for the direct files) in the database.
      const groupOf = new Map<string, number>();
      shape.folders.forEach(([, notes], k) => { for (const n of notes) groupOf.set(n, k); });
      const gateIndex = new Map(files.gates.map((g, i) => [g.path, i]));
      const grouped = await countFreshnessByGroup(tx, project.id, { modelPartition: partition, notes: inScope.map((n) => ({ ...n, group: groupOf.get(n.path) ?? -1 })), gates: files.gates });
      counts = { fresh: 0, stale: 0, missing: 0, total: 0 };
      for (const g of grouped) {
        counts[g.status] += g.n;
        counts.total += g.n;
        if (g.group >= 0) folders[g.group].cells[gateIndex.get(g.gate_path)!][g.status] += g.n;
      }
    }
    const notPure = new Map<string, SelectedPair>();
    for (const p of result.pairs) notPure.set(`${p.note_path}\u0000${p.gate_path}`, p);
    const outcomes = await lastOutcomes(tx, project.id, partition, [...drawn]);
    const noteIndex = new Map(files.notes.map((n, i) => [n.path, i]));
    const rows: NoteRow[] = [...drawn].map((path) => ({
      index: noteIndex.get(path)!,
      path,
      cells: files.gates.map((g) => {
        const p = notPure.get(`${path}\u0000${g.path}`);
        return { status: p?.status ?? 'fresh', reason: p?.reason ?? null, outcome: outcomes.get(`${path}\u0000${g.path}`) ?? null };
      }),
    }));
    return { ...base, partition, prefix: shape.prefix, counts, notesUnderPrefix: inScope.length, folders, rows, page: { number: pageNo, count: pages } };
  });
}

/** The outcome of the current acceptance of each drawn pair (acks carry none). */
async function lastOutcomes(tx: Tx, projectId: string, partition: string, notes: string[]) {
  if (notes.length === 0) return new Map<string, Outcome>();
  const rows = rowsOf<{ note_path: string; gate_path: string; outcome: Outcome | null }>(await tx.execute(sql`
    select note_path, gate_path, outcome from acceptance_current
    where project_id = ${projectId} and model_partition = ${partition} and kind <> 'retire' and outcome is not null
      and note_path = any(${toArray(notes)}::text[])`));
  return new Map(rows.map((r) => [`${r.note_path}\u0000${r.gate_path}`, r.outcome!]));
}

/** Per project and partition: how much is fresh, stale and missing now. */
export async function orgOverview(ctx: TenantContext, slugs: string[]) {
  const out = [];
  for (const slug of slugs) {
    out.push(await inProject(ctx, slug, async (tx, project) => {
      const files = await currentFiles(tx, project.id);
      const partitions = await knownPartitions(tx, project.id);
      const rows = [];
      for (const p of partitions.slice(0, 12)) {
        // Counted in the database: a project of 10,000 notes must not list its pairs here.
        const counts = { fresh: 0, stale: 0, missing: 0, total: 0 };
        for (const g of await countFreshnessByGroup(tx, project.id, { modelPartition: p.name, notes: files.notes.map((n) => ({ ...n, group: 0 })), gates: files.gates })) {
          counts[g.status] += g.n;
          counts.total += g.n;
        }
        rows.push({ partition: p.name, status: p.status, counts });
      }
      return { project, notes: files.notes.length, gates: files.gates.length, partitions: rows, more: Math.max(0, partitions.length - 12) };
    }));
  }
  return out;
}
