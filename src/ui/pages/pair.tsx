// One pair: status, what changed (diff), its acceptance history and the latest artifact.
import type { pairView } from '../data/pair.js';
import { fmtTime, StatusText } from '../layout.js';
import { renderMarkdown } from '../markdown.js';
// Paths stored before the path rule may hold bidi or zero-width characters: shown through visible().
import { visible } from '../../platform/visible.js';

type PairViewData = Awaited<ReturnType<typeof pairView>>;

function Diff(props: { text: string }) {
  // Lines keep their +/- so the diff reads without colour.
  return (
    <pre class="diff">{props.text.split('\n').map((line) => (
      <span class={line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : undefined}>{line}{'\n'}</span>
    ))}</pre>
  );
}

export function PairBody(props: { view: PairViewData; slug: string }) {
  const { view } = props;
  const p = view.pair;
  return (
    <>
      <h1><code>{visible(p.note_path)}</code> × <code>{visible(p.gate_path)}</code></h1>
      <dl class="facts">
        <dt>Partition</dt><dd><code>{view.partition}</code></dd>
        <dt>Status</dt><dd><StatusText status={p.status} />{p.reason && p.status !== 'fresh' && <> ({p.reason.replace('_', ' ')})</>}</dd>
        <dt>Revision</dt><dd>{p.revision ?? '—'}</dd>
        <dt>Note text</dt><dd><code>{p.note_sha256.slice(0, 12)}</code>{p.accepted_note_sha256 && p.accepted_note_sha256 !== p.note_sha256 && <> (accepted <code>{p.accepted_note_sha256.slice(0, 12)}</code>)</>}</dd>
        <dt>Gate text</dt><dd><code>{p.gate_sha256.slice(0, 12)}</code>{p.accepted_gate_sha256 && p.accepted_gate_sha256 !== p.gate_sha256 && <> (accepted <code>{p.accepted_gate_sha256.slice(0, 12)}</code>)</>}</dd>
      </dl>
      <h2>What changed since acceptance</h2>
      {!view.diff ? <p class="muted">{p.status === 'fresh' ? 'Nothing: both texts are the accepted ones.' : 'No accepted texts to compare with.'}</p> : (
        <>{[view.diff.note, view.diff.gate].map((part) => part.changed && (
          part.diff ? <Diff text={part.diff} /> : <p class="muted">{visible(part.path)} changed; the accepted text was collected, only its hash remains.</p>
        ))}</>
      )}
      <h2>History</h2>
      {view.history.items.length === 0 ? <p class="muted">Never accepted under this partition.</p> : (
        <table class="list">
          <thead><tr><th scope="col">Revision</th><th scope="col">Kind</th><th scope="col">Outcome</th><th scope="col">When</th><th scope="col">Job or reason</th></tr></thead>
          <tbody>{view.history.items.map((e) => (
            <tr><td>{e.revision}</td><td>{e.kind}</td><td>{e.outcome ? <span class={`status ${e.outcome}`}>{e.outcome}</span> : '—'}</td><td>{fmtTime(e.created_at)}</td>
              <td>{e.job_id ? <a href={`/ui/jobs/${e.job_id}`}>job {e.job_id.slice(0, 8)}</a> : e.reason ?? ''}</td></tr>
          ))}</tbody>
        </table>
      )}
      <h2>Latest artifact</h2>
      {!view.artifact ? <p class="muted">No review has written an artifact for this pair under this partition.</p> : (
        <article>
          <p>From <a href={`/ui/jobs/${view.artifact.job_id}`}>job {view.artifact.job_id.slice(0, 8)}</a>, outcome <span class={`status ${view.artifact.outcome}`}>{view.artifact.outcome}</span></p>
          <div class="markdown">{renderMarkdown(view.artifact.artifact)}</div>
        </article>
      )}
    </>
  );
}
