// Project pages: heatmap, a note's gates, a pair, the queue and a job.
import { Hono } from 'hono';
import { getJobWithArtifacts, listJobs } from '../execution/jobs.js';
import { jobCounts, JOB_STATUSES } from '../execution/queue.js';
import { heatmapView } from './data/heatmap.js';
import { cellPaths, noteView, pairView } from './data/pair.js';
import { fmtTime, OUTCOME_LETTER, Page, StatusText } from './layout.js';
import { renderMarkdown } from './markdown.js';
import { Breadcrumbs, ProjectTabs } from './pages/common.js';
import { Heatmap, type Colour } from './pages/heatmap.js';
import { PairBody } from './pages/pair.js';
import { uiContext, type UiEnv } from './session.js';
// Paths stored before the path rule may hold bidi or zero-width characters: every one shown goes through visible().
import { visible } from '../platform/visible.js';

export const projectRoutes = new Hono<UiEnv>();

const enc = encodeURIComponent;
const projectBase = (slug: string) => `/ui/projects/${enc(slug)}`;

projectRoutes.get('/projects/:slug', async (c) => {
  const ctx = uiContext(c, 'freshness:read');
  const slug = c.req.param('slug');
  const colour: Colour = c.req.query('colour') === 'outcome' ? 'outcome' : 'status';
  const started = Date.now();
  const view = await heatmapView(ctx, slug, { partition: c.req.query('partition'), prefix: c.req.query('prefix'), page: Number(c.req.query('page') ?? 1) || 1 });
  const changed = c.req.query('changed') === '1';
  const queried = Date.now();
  const html = await (
    <Page title={view.project.name} member={ctx.member} csrf={c.get('csrf')}>
      <Breadcrumbs items={[['Projects', '/ui'], [view.project.name, null]]} />
      <h1>{view.project.name}</h1>
      <ProjectTabs slug={slug} current="heatmap" admin={ctx.member.scopes.has('registry:admin')} />
      {changed && <p class="notice" role="status">The project changed since that heatmap was drawn; here it is again.</p>}
      <form method="get" class="controls" aria-label="Heatmap options">
        <label>Partition{' '}
          <select name="partition">{view.partitions.map((p) => <option value={p.name} selected={p.name === view.partition}>{p.name} ({p.status})</option>)}</select>
        </label>
        <label>Colour by{' '}
          <select name="colour">
            <option value="status" selected={colour === 'status'}>status</option>
            <option value="outcome" selected={colour === 'outcome'}>last outcome</option>
          </select>
        </label>
        {view.prefix && <input type="hidden" name="prefix" value={view.prefix} />}
        <button type="submit">Show</button>
      </form>
      {view.partition === null
        ? <p class="notice">No partition yet: nothing has been reviewed or registered in this project.</p>
        : <Heatmap view={view} colour={colour} slug={slug} />}
      <p class="muted">{view.notesUnderPrefix} notes × {view.gates.length} gates; read in {queried - started} ms. The current text of each file is its most recently pushed snapshot.</p>
    </Page>
  ).toString();
  // Where the time goes, for browsers' developer tools and the tests.
  c.header('server-timing', `data;dur=${queried - started}, render;dur=${Date.now() - queried}`);
  return c.html(html);
});

// A heatmap cell names its pair by position (short links for thousands of cells); resolve it and redirect.
projectRoutes.get('/projects/:slug/cell', async (c) => {
  const ctx = uiContext(c, 'freshness:read');
  const slug = c.req.param('slug');
  const partition = c.req.query('p') ?? '';
  const g = c.req.query('g');
  const paths = await cellPaths(ctx, slug, c.req.query('v') ?? '', Number(c.req.query('n')), g === undefined ? null : Number(g));
  if (!paths) return c.redirect(`${projectBase(slug)}?partition=${enc(partition)}&changed=1`, 303);
  return c.redirect(paths.gate === null
    ? `${projectBase(slug)}/note?partition=${enc(partition)}&note=${enc(paths.note)}`
    : `${projectBase(slug)}/pair?partition=${enc(partition)}&note=${enc(paths.note)}&gate=${enc(paths.gate)}`, 303);
});

projectRoutes.get('/projects/:slug/note', async (c) => {
  const ctx = uiContext(c, 'freshness:read');
  const slug = c.req.param('slug');
  const note = c.req.query('note') ?? '';
  const view = await noteView(ctx, slug, c.req.query('partition') ?? '', note);
  return c.html(
    <Page title={visible(note)} member={ctx.member} csrf={c.get('csrf')}>
      <Breadcrumbs items={[['Projects', '/ui'], [slug, `${projectBase(slug)}?partition=${enc(view.partition)}`], [visible(note), null]]} />
      <h1><code>{visible(note)}</code></h1>
      <p>Under <code>{view.partition}</code>: fresh {view.counts.fresh}, stale {view.counts.stale}, missing {view.counts.missing} of {view.counts.total} gates.</p>
      <table class="list">
        <thead><tr><th scope="col">Gate</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Last outcome</th></tr></thead>
        <tbody>{view.pairs.map((p) => (
          <tr>
            <th scope="row"><a href={`${projectBase(slug)}/pair?partition=${enc(view.partition)}&note=${enc(note)}&gate=${enc(p.gate_path)}`}>{visible(p.gate_path)}</a></th>
            <td><StatusText status={p.status} /></td><td>{p.reason ?? ''}</td><td>{p.outcome ? <span class={`status ${p.outcome}`}>{p.outcome}</span> : '—'}</td>
          </tr>))}
        </tbody>
      </table>
    </Page>,
  );
});

projectRoutes.get('/projects/:slug/pair', async (c) => {
  const ctx = uiContext(c, 'freshness:read');
  const slug = c.req.param('slug');
  const note = c.req.query('note') ?? '';
  const gate = c.req.query('gate') ?? '';
  const view = await pairView(ctx, slug, c.req.query('partition') ?? '', note, gate);
  return c.html(
    <Page title={`${visible(note)} × ${visible(gate)}`} member={ctx.member} csrf={c.get('csrf')}>
      <Breadcrumbs items={[['Projects', '/ui'], [slug, `${projectBase(slug)}?partition=${enc(view.partition)}`], [visible(note), `${projectBase(slug)}/note?partition=${enc(view.partition)}&note=${enc(note)}`], [visible(gate), null]]} />
      <PairBody view={view} slug={slug} />
    </Page>,
  );
});

projectRoutes.get('/projects/:slug/queue', async (c) => {
  const ctx = uiContext(c, 'freshness:read');
  const slug = c.req.param('slug');
  const counts = await jobCounts(ctx, slug);
  const running = await listJobs(ctx, slug, { limit: 100, status: 'running' });
  const failed = await listJobs(ctx, slug, { limit: 50, status: 'failed' });
  const recent = await listJobs(ctx, slug, { limit: 20 });
  const jobLink = (id: string) => <a href={`/ui/jobs/${id}`}><code>{id.slice(0, 8)}</code></a>;
  return c.html(
    <Page title={`${slug}: queue`} member={ctx.member} csrf={c.get('csrf')}>
      <Breadcrumbs items={[['Projects', '/ui'], [slug, projectBase(slug)], ['Queue', null]]} />
      <h1>Queue of {slug}</h1>
      <ProjectTabs slug={slug} current="queue" admin={ctx.member.scopes.has('registry:admin')} />
      <h2>Jobs by status</h2>
      <table class="list" id="queue-counts"><tbody>
        {JOB_STATUSES.map((s) => <tr><th scope="row"><StatusText status={s} /></th><td data-status={s}>{counts[s]}</td></tr>)}
      </tbody></table>
      <h2>Running</h2>
      {running.items.length === 0 ? <p class="muted">Nothing is running.</p> : (
        <table class="list"><thead><tr><th scope="col">Job</th><th scope="col">Partition</th><th scope="col">Runner</th><th scope="col">Lease owner</th><th scope="col">Lease expires</th><th scope="col">Attempts</th></tr></thead>
          <tbody>{running.items.map((j) => <tr><td>{jobLink(j.id)}</td><td>{j.model_partition}</td><td>{j.runner}</td><td>{j.lease_owner ?? '—'}</td><td><time datetime={j.lease_expires_at ?? ''}>{fmtTime(j.lease_expires_at)}</time></td><td>{j.attempts}/{j.max_attempts}</td></tr>)}</tbody></table>
      )}
      <h2>Failed</h2>
      {failed.items.length === 0 ? <p class="muted">No failed jobs.</p> : (
        <table class="list"><thead><tr><th scope="col">Job</th><th scope="col">Finished</th><th scope="col">Reason</th></tr></thead>
          <tbody>{failed.items.map((j) => {
            const err = (j.error ?? {}) as { code?: string; detail?: string };
            return <tr><td>{jobLink(j.id)}</td><td>{fmtTime(j.finished_at)}</td><td><code>{err.code ?? 'failed'}</code> {err.detail ?? ''}</td></tr>;
          })}</tbody></table>
      )}
      <h2>Latest jobs</h2>
      <table class="list"><thead><tr><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Partition</th><th scope="col">Runner</th><th scope="col">Created</th></tr></thead>
        <tbody>{recent.items.map((j) => <tr><td>{jobLink(j.id)}</td><td><StatusText status={j.status} /></td><td>{j.model_partition}</td><td>{j.runner}</td><td>{fmtTime(j.created_at)}</td></tr>)}</tbody></table>
    </Page>,
  );
});

projectRoutes.get('/jobs/:id', async (c) => {
  const ctx = uiContext(c, 'freshness:read');
  const id = c.req.param('id');
  if (!/^[0-9a-f-]{36}$/i.test(id)) return c.notFound();
  // One transaction for the job and all its artifacts: one database connection per request.
  const { job, artifacts: byItem } = await getJobWithArtifacts(ctx, id);
  const err = job.error as { code?: string; detail?: string } | null;
  return c.html(
    <Page title={`Job ${job.id.slice(0, 8)}`} member={ctx.member} csrf={c.get('csrf')}>
      <Breadcrumbs items={[['Projects', '/ui'], [job.project, projectBase(job.project)], ['Queue', `${projectBase(job.project)}/queue`], [`Job ${job.id.slice(0, 8)}`, null]]} />
      <h1>Job <code>{job.id}</code></h1>
      <dl class="facts">
        <dt>Status</dt><dd><StatusText status={job.status} /></dd>
        <dt>Partition</dt><dd>{job.model_partition}{job.requested_partition !== job.model_partition && <> (asked as {job.requested_partition})</>}</dd>
        <dt>Runner</dt><dd>{job.runner}{job.runner_model && <> · model {job.runner_model}</>}{job.runner_effort && <> · effort {job.runner_effort}</>}</dd>
        <dt>Attempts</dt><dd>{job.attempts} of {job.max_attempts}</dd>
        <dt>Lease</dt><dd>{job.lease_owner ? <>{job.lease_owner} until {fmtTime(job.lease_expires_at)}</> : '—'}</dd>
        <dt>Created</dt><dd>{fmtTime(job.created_at)}</dd><dt>Finished</dt><dd>{fmtTime(job.finished_at)}</dd>
      </dl>
      {err && <p class="notice error"><strong>{err.code}</strong>: {err.detail}</p>}
      {job.warnings.length > 0 && <><h2>Warnings</h2><ul>{job.warnings.map((w) => <li>{w}</li>)}</ul></>}
      <h2>Items ({job.items.length})</h2>
      <table class="list"><thead><tr><th scope="col">#</th><th scope="col">Note</th><th scope="col">Gate</th><th scope="col">Outcome</th></tr></thead>
        <tbody>{job.items.map((i) => <tr><td>{i.ordinal}</td><td>{visible(i.note_path)}</td><td>{visible(i.gate_path)}</td>
          <td>{i.outcome ? <span class={`status ${i.outcome}`}>{OUTCOME_LETTER[i.outcome]} {i.outcome}</span> : <span class="muted">pending</span>}</td></tr>)}</tbody></table>
      <h2>Artifacts</h2>
      {job.items.filter((i) => byItem.has(i.id)).map((i) => (
        <article aria-labelledby={`a-${i.id}`}>
          <h3 id={`a-${i.id}`}>{visible(i.note_path)} × {visible(i.gate_path)} <span class={`status ${i.outcome}`}>{i.outcome}</span></h3>
          <div class="markdown">{renderMarkdown(byItem.get(i.id)!)}</div>
        </article>
      ))}
    </Page>,
  );
});
