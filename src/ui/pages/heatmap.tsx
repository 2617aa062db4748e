// Project page: the freshness heatmap of notes x gates under one partition.
import type { HeatmapView, NoteRow, FolderRow } from '../data/heatmap.js';
import { OUTCOME_LETTER, STATUS_SYMBOL } from '../layout.js';
// Paths stored before the path rule may hold bidi or zero-width characters: every one is shown through visible().
import { visible } from '../../platform/visible.js';

export type Colour = 'status' | 'outcome';

const STATUS_CLASS = { fresh: 'f', stale: 's', missing: 'm' } as const;
const OUTCOME_CLASS = { pass: 'op', warn: 'ow', fail: 'ox', error: 'oe' } as const;
const REASON = { never_reviewed: 'never reviewed', note_changed: 'note changed', gate_changed: 'gate changed', both_changed: 'both changed' } as const;

const pct = (n: number, total: number) => (total === 0 ? 0 : Math.round((100 * n) / total));

/**
 * A share as a person reads it: 100 only when it is all, 0 only when it is
 * none. 14,826 fresh of 14,868 is ">99", 42 of them "<1", never "100" and "0".
 */
export function shareLabel(n: number, total: number): string {
  if (n <= 0 || total === 0) return '0';
  if (n >= total) return '100';
  const rounded = pct(n, total);
  return rounded === 0 ? '<1' : rounded === 100 ? '>99' : String(rounded);
}
const q = (params: Record<string, string | number | undefined>) =>
  '?' + Object.entries(params).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');

export function Proportions(props: { counts: { fresh: number; stale: number; missing: number; total: number } }) {
  const { fresh, stale, missing, total } = props.counts;
  return (
    <span>
      <span class="bar" aria-hidden="true">
        {/* Widths come from classes in 5% steps: the CSP allows no inline styles. */}
        <span class={`f w${Math.round(pct(fresh, total) / 5) * 5}`}></span>
        <span class={`s w${Math.round(pct(stale, total) / 5) * 5}`}></span>
        <span class={`m w${Math.round(pct(missing, total) / 5) * 5}`}></span>
      </span>{' '}
      <span>fresh {fresh} ({shareLabel(fresh, total)}%) · stale {stale} ({shareLabel(stale, total)}%) · missing {missing} ({shareLabel(missing, total)}%) of {total}</span>
    </span>
  );
}

/** The folder every drawn note shares, shown once above the table instead of on every row. */
function sharedFolder(paths: string[]): string {
  if (paths.length === 0) return '';
  let prefix = paths[0].slice(0, paths[0].lastIndexOf('/') + 1);
  for (const p of paths) while (prefix && !p.startsWith(prefix)) prefix = prefix.slice(0, prefix.slice(0, -1).lastIndexOf('/') + 1);
  return prefix;
}

function NoteCells(props: { row: NoteRow; colour: Colour; link: (i: number, j: number) => string; shared: string }) {
  const { row, colour } = props;
  return (
    <tr>
      <th scope="row" title={visible(row.path)}><a href={props.link(row.index, -1)}>{visible(row.path.slice(props.shared.length))}</a></th>
      {row.cells.map((c, j) => {
        const cls = colour === 'outcome' ? (c.outcome ? OUTCOME_CLASS[c.outcome] : 'on') : STATUS_CLASS[c.status];
        const text = colour === 'outcome' ? (c.outcome ? OUTCOME_LETTER[c.outcome] : '–') : STATUS_SYMBOL[c.status];
        const title = `G${j + 1}: ${c.status}${c.reason && c.status !== 'missing' ? ` (${REASON[c.reason]})` : ''}${c.outcome ? `, last ${c.outcome}` : ''}`;
        // Cells leave the tab order: the row's link opens the note with one link per gate.
        return <td class={`c ${cls}`}><a href={props.link(row.index, j)} title={title} tabindex={-1}>{text}</a></td>;
      })}
    </tr>
  );
}

function FolderCells(props: { row: FolderRow; href: string }) {
  return (
    <tr>
      <th scope="row"><a href={props.href}>{visible(props.row.folder)}</a> <span class="muted">({props.row.notes} notes)</span></th>
      {props.row.cells.map((c, j) => {
        const share = pct(c.fresh, props.row.notes);
        const bucket = c.fresh >= props.row.notes ? 4 : share >= 75 ? 3 : share >= 50 ? 2 : share >= 25 ? 1 : 0;
        return <td class={`c q${bucket}`} title={`G${j + 1}: fresh ${c.fresh}, stale ${c.stale}, missing ${c.missing}`}>{shareLabel(c.fresh, props.row.notes)}</td>;
      })}
    </tr>
  );
}

export function Heatmap(props: { view: HeatmapView; colour: Colour; slug: string }) {
  const { view, colour, slug } = props;
  const base = `/ui/projects/${encodeURIComponent(slug)}`;
  const keep = { partition: view.partition ?? undefined, colour: colour === 'status' ? undefined : colour };
  const shared = view.folders.length ? '' : sharedFolder(view.rows.map((r) => r.path));
  // Relative to /ui/projects/: thousands of cells, so every byte of the link counts.
  const link = (i: number, j: number) => `${encodeURIComponent(slug)}/cell${q({ p: view.partition ?? '', v: view.version, n: i, g: j < 0 ? undefined : j })}`;
  return (
    <section aria-labelledby="heat-title">
      <h2 id="heat-title">Freshness under <code>{view.partition}</code>{view.prefix && <> in <code>{visible(view.prefix)}</code></>}</h2>
      <p><Proportions counts={view.counts} /></p>
      {view.prefix && <p><a href={`${base}${q({ ...keep })}`}>↑ all notes</a></p>}
      <ul class="legend" aria-label="Legend">
        {colour === 'status' ? <>
          <li><span class="k f">{STATUS_SYMBOL.fresh}</span> fresh</li>
          <li><span class="k s">{STATUS_SYMBOL.stale}</span> stale (note or gate changed since acceptance)</li>
          <li><span class="k m">{STATUS_SYMBOL.missing}</span> missing (never reviewed, or retired)</li>
        </> : <>
          <li><span class="k op">P</span> last review passed</li><li><span class="k ow">W</span> warned</li>
          <li><span class="k ox">F</span> failed</li><li><span class="k oe">E</span> error</li><li><span class="k on">–</span> no outcome (never reviewed, retired, or imported without one)</li>
          <li>an ack keeps the outcome of the review it carries forward</li>
        </>}
        {view.folders.length > 0 && <li><span class="k q2">50</span> folder rows: % of notes fresh for that gate</li>}
      </ul>
      {view.rows.length === 0 && view.folders.length === 0
        ? <p class="notice">No notes to show. Notes and gates appear here once they are pushed (<code>gatehouse push</code>) and a job or an acceptance has used the gates.</p>
        : <div class="heat-wrap">
          <table class="heat" id="heatmap" data-partition={view.partition ?? ''}>
            <caption class="visually-hidden">Notes (rows) by gates (columns); each cell shows the pair's status as a symbol</caption>
            <thead><tr><th scope="col">{shared ? <>Note in <code>{visible(shared)}</code></> : 'Note'}</th>{view.gates.map((g, j) => <th scope="col"><abbr title={visible(g)}>{j + 1}</abbr></th>)}</tr></thead>
            <tbody>
              {view.folders.map((row) => <FolderCells row={row} href={`${base}${q({ ...keep, prefix: row.folder })}`} />)}
              {view.rows.map((row) => <NoteCells row={row} colour={colour} link={link} shared={shared} />)}
            </tbody>
          </table>
        </div>}
      {view.page.count > 1 && (
        <nav aria-label="Pages of notes"><p>
          {view.page.number > 1 && <a href={`${base}${q({ ...keep, prefix: view.prefix, page: view.page.number - 1 })}`} rel="prev">← previous</a>}
          {' '}page {view.page.number} of {view.page.count}{' '}
          {view.page.number < view.page.count && <a href={`${base}${q({ ...keep, prefix: view.prefix, page: view.page.number + 1 })}`} rel="next">next →</a>}
        </p></nav>
      )}
      <h2 id="gates">Gates</h2>
      <ol class="gates">{view.gates.map((g) => <li><code>{visible(g)}</code></li>)}</ol>
    </section>
  );
}
