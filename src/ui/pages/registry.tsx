// Registry page: partitions, aliases, runner defaults and the policy; for
// registry admins, forms whose changes go to a dry-run plan first.
import type { Plan, Change } from '../../registry/plan.js';
import type { Registry } from '../../registry/state.js';
import { Csrf } from '../layout.js';

function ChangeForm(props: { action: string; csrf: string; change: string; hidden?: Record<string, string>; label: string; danger?: boolean }) {
  return (
    <form method="post" action={props.action} class="inline">
      <Csrf value={props.csrf} />
      <input type="hidden" name="change" value={props.change} />
      {Object.entries(props.hidden ?? {}).map(([k, v]) => <input type="hidden" name={k} value={v} />)}
      <button type="submit" class={props.danger ? 'danger' : undefined}>{props.label}</button>
    </form>
  );
}

export function RegistryView(props: { registry: Registry; admin: boolean; csrf: string; action: string }) {
  const { registry: r, admin, csrf, action } = props;
  const partitionOptions = r.partitions.map((p) => <option value={p.model_partition}>{p.model_partition}</option>);
  return (
    <>
      <h2>Unknown partitions</h2>
      <p>Policy: <strong id="policy">{r.unknown_partition_policy}</strong> <span class="muted">(reject: refuse; auto: register as unverified on first use; warn: accept with a warning)</span></p>
      {admin && (
        <form method="post" action={action} aria-label="Change the policy"><Csrf value={csrf} />
          <input type="hidden" name="change" value="set_policy" />
          <label>New policy <select name="policy">{['reject', 'auto', 'warn'].map((p) => <option selected={p === r.unknown_partition_policy}>{p}</option>)}</select></label>
          <button type="submit">Review the plan</button>
        </form>
      )}
      <h2>Partitions</h2>
      <table class="list" id="partitions"><thead><tr><th scope="col">Partition</th><th scope="col">Status</th><th scope="col">Description</th>{admin && <th scope="col">Actions</th>}</tr></thead>
        <tbody>{r.partitions.map((p) => (
          <tr><th scope="row">{p.model_partition}</th><td>{p.status}</td><td>{p.description ?? ''}</td>
            {admin && <td><ChangeForm action={action} csrf={csrf} change="change_partition" label={p.status === 'verified' ? 'Mark unverified' : 'Mark verified'}
              hidden={{ model_partition: p.model_partition, description: p.description ?? '', status: p.status === 'verified' ? 'unverified' : 'verified' }} />{' '}
              <ChangeForm action={action} csrf={csrf} change="remove_partition" label="Remove" danger hidden={{ model_partition: p.model_partition }} /></td>}
          </tr>))}</tbody></table>
      {admin && (
        <form method="post" action={action} aria-label="Add a partition"><Csrf value={csrf} /><input type="hidden" name="change" value="add_partition" />
          <fieldset><legend>Add a partition</legend>
            <label>Name <input type="text" name="model_partition" required /></label>
            <label>Description <input type="text" name="description" /></label>
            <label>Status <select name="status"><option>verified</option><option>unverified</option></select></label>
            <button type="submit">Review the plan</button>
          </fieldset>
        </form>
      )}
      <h2>Aliases</h2>
      {r.aliases.length === 0 ? <p class="muted">No aliases.</p> : (
        <table class="list" id="aliases"><thead><tr><th scope="col">Alias</th><th scope="col">Partition</th>{admin && <th scope="col">Actions</th>}</tr></thead>
          <tbody>{r.aliases.map((a) => <tr><th scope="row">{a.alias}</th><td>{a.model_partition}</td>
            {admin && <td><ChangeForm action={action} csrf={csrf} change="remove_alias" label="Remove" danger hidden={{ alias: a.alias }} /></td>}</tr>)}</tbody></table>
      )}
      {admin && r.partitions.length > 0 && (
        <form method="post" action={action} aria-label="Set an alias"><Csrf value={csrf} /><input type="hidden" name="change" value="set_alias" />
          <fieldset><legend>Add or repoint an alias</legend>
            <label for="al-alias">Alias</label> <input id="al-alias" type="text" name="alias" required />{' '}
            <label for="al-partition">Partition</label> <select id="al-partition" name="model_partition">{partitionOptions}</select>{' '}
            <button type="submit">Review the plan</button>
          </fieldset>
        </form>
      )}
      <h2>Runner defaults</h2>
      {r.runner_models.length === 0 ? <p class="muted">No runner defaults.</p> : (
        <table class="list" id="runner-defaults"><thead><tr><th scope="col">Partition</th><th scope="col">Runner</th><th scope="col">Model</th><th scope="col">Effort</th>{admin && <th scope="col">Actions</th>}</tr></thead>
          <tbody>{r.runner_models.map((m) => <tr><td>{m.model_partition}</td><td>{m.runner}</td><td>{m.runner_model}</td><td>{m.runner_effort ?? '—'}</td>
            {admin && <td><ChangeForm action={action} csrf={csrf} change="remove_runner_model" label="Remove" danger hidden={{ model_partition: m.model_partition, runner: m.runner }} /></td>}</tr>)}</tbody></table>
      )}
      {admin && r.partitions.length > 0 && (
        <form method="post" action={action} id="runner-default-form" aria-label="Set a runner default"><Csrf value={csrf} /><input type="hidden" name="change" value="set_runner_model" />
          <fieldset><legend>Set a runner default</legend>
            {/* Labels by id: a label wrapping a select would take the selected option into its name. */}
            <label for="rd-partition">Partition</label> <select id="rd-partition" name="model_partition">{partitionOptions}</select>{' '}
            <label for="rd-runner">Runner</label> <input id="rd-runner" type="text" name="runner" required placeholder="claude-code" />{' '}
            <label for="rd-model">Model</label> <input id="rd-model" type="text" name="runner_model" required />{' '}
            <label for="rd-effort">Effort</label> <input id="rd-effort" type="text" name="runner_effort" placeholder="optional" />{' '}
            <button type="submit">Review the plan</button>
          </fieldset>
        </form>
      )}
    </>
  );
}

function describe(c: Change): string {
  const rm = (m: { model_partition: string; runner: string; runner_model: string; runner_effort: string | null }) => `${m.model_partition} / ${m.runner} → ${m.runner_model}${m.runner_effort ? ` (effort ${m.runner_effort})` : ''}`;
  switch (c.kind) {
    case 'set_policy': return `policy ${c.from} → ${c.to}`;
    case 'add_partition': return `add partition ${c.to.model_partition} (${c.to.status})`;
    case 'change_partition': return `change partition ${c.to.model_partition}: ${c.from.status} → ${c.to.status}${c.from.description !== c.to.description ? `, description "${c.from.description ?? ''}" → "${c.to.description ?? ''}"` : ''}`;
    case 'remove_partition': return `remove partition ${c.from.model_partition}`;
    case 'add_alias': return `add alias ${c.to.alias} → ${c.to.model_partition}`;
    case 'change_alias': return `repoint alias ${c.from.alias}: ${c.from.model_partition} → ${c.to.model_partition}`;
    case 'remove_alias': return `remove alias ${c.from.alias}`;
    case 'add_runner_model': return `add runner default ${rm(c.to)}`;
    case 'change_runner_model': return `change runner default ${rm(c.from)} ⇒ ${c.to.runner_model}${c.to.runner_effort ? ` (effort ${c.to.runner_effort})` : ''}`;
    case 'remove_runner_model': return `remove runner default ${rm(c.from)}`;
  }
}

export function PlanView(props: { plan: Plan; desired: Registry; etag: string; csrf: string; apply: string; back: string }) {
  const { plan } = props;
  return (
    <section aria-labelledby="plan-title">
      <h2 id="plan-title">Plan (dry run: nothing has changed yet)</h2>
      {plan.changes.length === 0 && plan.refusals.length === 0 && <p class="notice">No change: the registry already says this.</p>}
      {plan.changes.length > 0 && <ul id="plan-changes">{plan.changes.map((c) => <li><code>{c.kind}</code> {describe(c)}</li>)}</ul>}
      {plan.refusals.length > 0 && (
        <div class="notice error" role="alert"><p>Refused, so nothing can be applied:</p>
          <ul>{plan.refusals.map((r) => <li>{describe(r.change)}: {r.reason}</li>)}</ul></div>
      )}
      {plan.changes.length > 0 && plan.refusals.length === 0 && (
        <form method="post" action={props.apply}><Csrf value={props.csrf} />
          <input type="hidden" name="desired" value={JSON.stringify(props.desired)} />
          <input type="hidden" name="etag" value={props.etag} />
          <button type="submit" class="primary" id="apply">Apply {plan.changes.length} change{plan.changes.length === 1 ? '' : 's'}</button>
        </form>
      )}
      <p><a href={props.back}>Cancel, back to the registry</a></p>
    </section>
  );
}
