// Registry (read for everyone who sees the project; forms for registry
// admins), tokens and the audit log. Each change calls the same service
// function as its API route, with the body checked by the route's schema.
import { Hono } from 'hono';
import { z } from '@hono/zod-openapi';
import { ApiError } from '../platform/errors.js';
import { RegistryBody } from '../registry/routes/schemas.js';
import { getRegistry, syncRegistry } from '../registry/service.js';
import { listAudit } from '../tenancy/audit.js';
import { createToken, listTokens, revokeToken } from '../tenancy/api-tokens.js';
import { MAX_TOKEN_DAYS } from '../tenancy/auth/grants.js';
import { scopes as ALL_SCOPES } from '../tenancy/auth/scopes.js';
import { CreateTokenBody } from '../tenancy/routes/schemas.js';
import { applyFormChange, field, fields, parseWith } from './data/forms.js';
import { Csrf, fmtTime, Page } from './layout.js';
import { Breadcrumbs, ProjectTabs } from './pages/common.js';
import { PlanView, RegistryView } from './pages/registry.js';
import { uiContext, type UiEnv } from './session.js';

export const adminRoutes = new Hono<UiEnv>();
const enc = encodeURIComponent;

adminRoutes.get('/projects/:slug/registry', async (c) => {
  const ctx = uiContext(c);
  const slug = c.req.param('slug');
  const registry = await getRegistry(ctx, slug);
  const admin = ctx.member.scopes.has('registry:admin');
  const base = `/ui/projects/${enc(slug)}`;
  return c.html(
    <Page title={`${slug}: registry`} member={ctx.member} csrf={c.get('csrf')}>
      <Breadcrumbs items={[['Projects', '/ui'], [slug, base], ['Registry', null]]} />
      <h1>Model partition registry of {slug}</h1>
      <ProjectTabs slug={slug} current="registry" admin={admin} />
      {c.req.query('applied') && <p class="notice" role="status">Applied {c.req.query('applied')} change(s); each is in the audit log.</p>}
      {!admin && <p class="muted">Read only: changing the registry needs the registry:admin scope.</p>}
      <RegistryView registry={registry} admin={admin} csrf={c.get('csrf')} action={`${base}/registry/plan`} />
    </Page>,
  );
});

adminRoutes.post('/projects/:slug/registry/plan', async (c) => {
  const ctx = uiContext(c, 'registry:admin');
  const slug = c.req.param('slug');
  const current = await getRegistry(ctx, slug);
  const { etag, ...registry } = current;
  const desired = parseWith(RegistryBody, applyFormChange(registry, await c.req.parseBody()));
  const result = await syncRegistry(ctx, slug, desired, { dryRun: true, ifMatch: etag });
  const base = `/ui/projects/${enc(slug)}`;
  return c.html(
    <Page title={`${slug}: registry plan`} member={ctx.member} csrf={c.get('csrf')}>
      <Breadcrumbs items={[['Projects', '/ui'], [slug, base], ['Registry', `${base}/registry`], ['Plan', null]]} />
      <h1>Review the change to {slug}'s registry</h1>
      <PlanView plan={result.plan} desired={desired} etag={result.etag} csrf={c.get('csrf')} apply={`${base}/registry/apply`} back={`${base}/registry`} />
    </Page>,
  );
});

adminRoutes.post('/projects/:slug/registry/apply', async (c) => {
  const ctx = uiContext(c, 'registry:admin');
  const slug = c.req.param('slug');
  const form = await c.req.parseBody();
  let raw: unknown;
  try { raw = JSON.parse(field(form, 'desired')); } catch { throw new ApiError('bad_request', 'The plan form is damaged; start again'); }
  // If-Match: what was planned is applied only to the registry it was planned against.
  const result = await syncRegistry(ctx, slug, parseWith(RegistryBody, raw), { dryRun: false, ifMatch: field(form, 'etag') || undefined });
  return c.redirect(`/ui/projects/${enc(slug)}/registry?applied=${result.plan.changes.length}`, 303);
});

adminRoutes.get('/tokens', async (c) => {
  const ctx = uiContext(c);
  const tokens = await listTokens(ctx, { limit: 200, include_revoked: c.req.query('revoked') === '1' });
  const admin = ctx.member.scopes.has('org:admin');
  return c.html(
    <Page title="Tokens" member={ctx.member} csrf={c.get('csrf')} current="tokens">
      <h1>API tokens</h1>
      <p class="muted">{admin ? 'Every token in the org.' : 'Your tokens.'} Secrets are never stored; a token is shown once, when it is minted.</p>
      <p><a href={c.req.query('revoked') === '1' ? '/ui/tokens' : '/ui/tokens?revoked=1'}>{c.req.query('revoked') === '1' ? 'Hide revoked tokens' : 'Show revoked tokens'}</a></p>
      <table class="list" id="tokens"><thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Projects</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
        <tbody>{tokens.items.map((t) => (
          <tr><th scope="row">{t.name}</th><td>{t.scopes.join(' ')}</td><td>{t.projects?.join(', ') ?? 'all'}</td><td>{fmtTime(t.expires_at)}</td><td>{fmtTime(t.last_used_at)}</td>
            <td>{t.revoked_at ? `revoked ${fmtTime(t.revoked_at)}` : t.id === ctx.member.tokenId ? 'active (this session)' : 'active'}</td>
            <td>{!t.revoked_at && (
              <form method="post" action={`/ui/tokens/${t.id}/revoke`} class="inline"><Csrf value={c.get('csrf')} />
                <button type="submit" class="danger" aria-label={`Revoke ${t.name}`}>Revoke</button></form>)}</td></tr>
        ))}</tbody></table>
      <form method="post" action="/ui/tokens" id="mint-form"><Csrf value={c.get('csrf')} />
        <fieldset><legend>Mint a token</legend>
          <p><label>Name <input type="text" name="name" required maxlength={200} /></label>
            <label>Expires in days <input type="number" name="expires_in_days" value="30" min={1} max={MAX_TOKEN_DAYS} /> (at most {MAX_TOKEN_DAYS})</label>
            {admin && <label>For a service identity (optional) <input type="text" name="service" placeholder="runner-1" /></label>}</p>
          <p>Scopes (none ticked: everything the holder may have that your token holds too):</p>
          <p>{ALL_SCOPES.filter((s) => ctx.member.scopes.has(s)).map((s) => <label><input type="checkbox" name="scopes" value={s} /> {s}</label>)}</p>
          <button type="submit" class="primary">Mint</button>
        </fieldset>
      </form>
    </Page>,
  );
});

adminRoutes.post('/tokens', async (c) => {
  const ctx = uiContext(c);
  const form = await c.req.parseBody({ all: true });
  const scopes = fields(form, 'scopes');
  const body = parseWith(CreateTokenBody, {
    name: field(form, 'name'),
    expires_in_days: Number(field(form, 'expires_in_days') || 30),
    ...(scopes.length ? { scopes } : {}),
    ...(field(form, 'service') ? { service: field(form, 'service') } : {}),
  });
  const minted = await createToken(ctx, c.get('deps').auth, body);
  return c.html(
    <Page title="Token minted" member={ctx.member} csrf={c.get('csrf')} current="tokens">
      <h1>Token "{minted.name}" minted</h1>
      <div class="notice secret" role="status">
        <p><strong>Copy it now: it is shown only once.</strong></p>
        <p><label for="minted">Token</label></p>
        <textarea id="minted" readonly rows={5}>{minted.token}</textarea>
        <p>Scopes: {minted.scopes.join(' ')} · expires {fmtTime(minted.expires_at)}</p>
      </div>
      <p><a href="/ui/tokens">Back to tokens</a></p>
    </Page>,
  );
});

adminRoutes.post('/tokens/:id/revoke', async (c) => {
  const ctx = uiContext(c);
  const id = c.req.param('id');
  if (!z.uuid().safeParse(id).success) throw new ApiError('not_found', 'Token not found');
  await revokeToken(ctx, id);
  return c.redirect('/ui/tokens', 303);
});

adminRoutes.get('/audit', async (c) => {
  const ctx = uiContext(c, 'org:admin');
  const action = c.req.query('action') || undefined;
  const targetType = c.req.query('target_type') || undefined;
  const page = await listAudit(ctx, { limit: 100, cursor: c.req.query('cursor') || undefined, action, target_type: targetType });
  const more = page.next_cursor ? `/ui/audit?${new URLSearchParams({ ...(action ? { action } : {}), ...(targetType ? { target_type: targetType } : {}), cursor: page.next_cursor })}` : null;
  return c.html(
    <Page title="Audit log" member={ctx.member} csrf={c.get('csrf')} current="audit">
      <h1>Audit log</h1>
      <form method="get" class="controls" aria-label="Filter the audit log">
        <label>Action <input type="text" name="action" value={action ?? ''} placeholder="registry.runner_model.add" /></label>
        <label>Target type <input type="text" name="target_type" value={targetType ?? ''} placeholder="token" /></label>
        <button type="submit">Filter</button> <a href="/ui/audit">Clear</a>
      </form>
      <table class="list" id="audit"><thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Actor</th><th scope="col">Change</th></tr></thead>
        <tbody>{page.items.map((e) => (
          <tr><td>{fmtTime(e.created_at)}</td><td><code>{e.action}</code></td><td>{e.target_type} {e.target_id ?? ''}</td><td><code>{e.actor_user_id?.slice(0, 8) ?? '—'}</code></td>
            <td><details><summary>before / after</summary><pre>{JSON.stringify({ before: e.before, after: e.after }, null, 2)}</pre></details></td></tr>
        ))}</tbody></table>
      {more && <p><a href={more}>Older entries →</a></p>}
    </Page>,
  );
});
