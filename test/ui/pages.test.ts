// The dashboard without a browser: sign-in, session cookie, CSP, CSRF,
// what each role sees, and tenancy (another org's project is a 404).
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_IN_JS } from '../../src/ui/static.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { manifest, text, upload, type Text } from '../support/freshness.js';
import { runnerCalls } from '../support/execution.js';
import { UiClient } from './client.js';

let env: TestEnv;
let org: OrgFixture;
let slug: string;
let notes: Text[];
let gates: Text[];
let jobId: string;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  slug = (await env.createProject(org.ownerToken, { name: 'Handbook' })).slug;
  notes = await Promise.all(['notes/a.md', 'notes/b.md', 'notes/c.md'].map((p) => text(p, `# ${p}\n`)));
  gates = await Promise.all(['gates/g1.md', 'gates/g2.md'].map((p) => text(p, `# ${p}\n`)));
  await upload(env, org.ownerToken, slug, [...notes, ...gates]);
  // Review a.md x both gates through a real job; one artifact carries hostile markdown.
  const run = runnerCalls(env, org.ownerToken);
  const job = await run.create(slug, { model_partition: 'opus', items: gates.map((g) => ({ note_path: notes[0].path, note_sha256: notes[0].sha256, gate_path: g.path, gate_sha256: g.sha256 })) });
  expect(job.status, job.text).toBe(201);
  const claim = await run.claim({});
  const { job: claimed, lease } = claim.json;
  jobId = claimed.id;
  for (const item of claim.json.items) {
    await run.result(claimed.id, item.id, lease.id, 'pass', `**Looks fine.** <script>alert(1)</script> [x](javascript:alert(1))\n\n## Result: PASS`);
  }
  expect((await run.finalize(claimed.id, lease.id)).json.status).toBe('succeeded');
  // Then b.md is edited and pushed: its pairs are missing, a.md stays fresh.
  await upload(env, org.ownerToken, slug, [await text('notes/a.md', '# notes/a.md\nedited\n')]);
});

afterAll(async () => env?.close());

describe('dashboard', () => {
  it('sends strangers to sign-in, and signs in with a token into an HttpOnly, SameSite=Strict cookie', async () => {
    const ui = new UiClient(env);
    const first = await ui.get('/ui');
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/ui/sign-in');
    const page = await ui.get('/ui/sign-in');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(page.html).not.toMatch(/<script>/);
    expect(page.html).toContain('<code>.gatehouse/local-owner.token</code>'); // where a first-timer's token is
    const signed = await ui.signIn(org.ownerToken);
    expect(signed.status).toBe(303);
    const cookie = signed.setCookie.find((c) => c.startsWith('gatehouse_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/); // plain http here; https gets Secure (below)
    const overview = await ui.get('/ui');
    expect(overview.status).toBe(200);
    expect(overview.html).toContain('Handbook');
  });

  it('marks the cookie Secure over https, and refuses a bad token or a forged sign-in form', async () => {
    const ui = new UiClient(env, 'https://gatehouse.example');
    expect((await ui.signIn(org.ownerToken)).setCookie.find((c) => c.startsWith('gatehouse_session='))).toMatch(/Secure/);
    const bad = await new UiClient(env).signIn('not.a.token');
    expect(bad.status).toBe(401);
    expect(bad.html).toContain('Sign-in failed');
    const forged = await new UiClient(env).request('POST', '/ui/sign-in', { _signin: 'guess', token: org.ownerToken });
    expect(forged.status).toBe(403);
  });

  it('refuses a POST without the CSRF token, or from another origin', async () => {
    const ui = new UiClient(env);
    await ui.signIn(org.ownerToken);
    const noToken = await ui.request('POST', '/ui/tokens', { name: 'x' });
    expect(noToken.status).toBe(403);
    const csrf = UiClient.csrf((await ui.get('/ui/tokens')).html);
    const cross = await ui.request('POST', '/ui/tokens', { _csrf: csrf, name: 'x' }, { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
  });

  it('draws the heatmap from the API select, and drills down to a pair with a sanitised artifact', async () => {
    const ui = new UiClient(env);
    await ui.signIn(org.ownerToken);
    const heat = await ui.get(`/ui/projects/${slug}?partition=opus`);
    expect(heat.status).toBe(200);
    const api = await env.request('POST', `/v1/projects/${slug}/freshness`, { token: org.ownerToken, body: {
      model_partition: 'opus', notes: manifest([await text('notes/a.md', '# notes/a.md\nedited\n'), notes[1], notes[2]]), gates: manifest(gates), include_fresh: true } });
    expect(api.json.counts).toMatchObject({ stale: 2, missing: 4, fresh: 0 });
    const cells = [...heat.html.matchAll(/<td class="c (\w)">/g)].map((m) => m[1]);
    expect(cells).toEqual(api.json.pairs.map((p: any) => p.status[0]));
    const link = /href="([^"/]+\/cell\?[^"]+&amp;g=0)"/.exec(heat.html)![1].replace(/&amp;/g, '&');
    const cell = await ui.get(`/ui/projects/${link}`);
    expect(cell.status).toBe(303);
    const pair = await ui.get(cell.headers.get('location')!);
    expect(pair.status).toBe(200);
    expect(pair.html).toContain('note changed');
    expect(pair.html).toContain('+edited');
    expect(pair.html).toContain('<strong>Looks fine.</strong>');
    expect(pair.html).not.toContain('<script>alert');
    expect(pair.html).toContain('&lt;script&gt;');
    expect(pair.html).not.toMatch(/href="javascript:/);
  });

  it('shows refusals in the plan and applies nothing; a plan applied after the registry changed is a conflict', async () => {
    const ui = new UiClient(env);
    await ui.signIn(org.ownerToken);
    const from = `/ui/projects/${slug}/registry`;
    const refused = await ui.post(`/ui/projects/${slug}/registry/plan`, { change: 'remove_partition', model_partition: 'opus' }, from);
    expect(refused.status).toBe(200);
    expect(refused.html).toContain('Refused, so nothing can be applied');
    expect(refused.html).not.toContain('id="apply"');
    const plan = await ui.post(`/ui/projects/${slug}/registry/plan`, { change: 'set_alias', alias: 'o', model_partition: 'opus' }, from);
    expect(plan.html).toContain('add alias o → opus');
    const desired = /name="desired" value="([^"]+)"/.exec(plan.html)![1].replace(/&quot;/g, '"');
    const etag = /name="etag" value="([^"]+)"/.exec(plan.html)![1].replace(/&quot;/g, '"');
    // Someone else changes the registry between the plan and the apply.
    expect((await env.request('PUT', `/v1/projects/${slug}/registry/runner-models/opus/exec`, { token: org.ownerToken, body: { runner_model: 'm1' } })).status).toBeLessThan(300);
    const late = await ui.post(`/ui/projects/${slug}/registry/apply`, { desired, etag }, from);
    expect(late.status).toBe(409);
    expect((await env.request('GET', `/v1/projects/${slug}/registry`, { token: org.ownerToken })).json.aliases).toEqual([]);
  });

  it('shows a viewer no admin forms, and refuses their admin posts', async () => {
    const viewer = await env.addMember(org, 'viewer');
    const ui = new UiClient(env);
    await ui.signIn(viewer.token);
    const registry = await ui.get(`/ui/projects/${slug}/registry`);
    expect(registry.status).toBe(200);
    expect(registry.html).not.toContain('Review the plan');
    expect(registry.html).toContain('Read only');
    const csrf = UiClient.csrf(registry.html);
    const refused = await ui.request('POST', `/ui/projects/${slug}/registry/plan`, { _csrf: csrf, change: 'set_policy', policy: 'reject' });
    expect(refused.status).toBe(403);
    expect((await ui.get('/ui/audit')).status).toBe(403);
  });

  it('shows another org nothing of this one', async () => {
    const other = await env.createOrg();
    const ui = new UiClient(env);
    await ui.signIn(other.ownerToken);
    expect((await ui.get('/ui')).html).not.toContain('Handbook');
    expect((await ui.get(`/ui/projects/${slug}`)).status).toBe(404);
    expect((await ui.get(`/ui/projects/${slug}/registry`)).status).toBe(404);
    expect((await ui.get(`/ui/projects/${slug}/queue`)).status).toBe(404);
    expect((await ui.get(`/ui/jobs/${jobId}`)).status).toBe(404);
    expect((await ui.get(`/ui/projects/${slug}/pair?partition=opus&note=notes%2Fa.md&gate=gates%2Fg1.md`)).status).toBe(404);
    expect((await ui.get('/ui/audit')).html).not.toContain(slug);
  });

  it('shows a token without freshness:read the project list but no freshness', async () => {
    const runner = await env.addMember(org, 'member', { scopes: ['jobs:run'] });
    const ui = new UiClient(env);
    await ui.signIn(runner.token);
    const overview = await ui.get('/ui');
    expect(overview.html).toContain('lacks the freshness:read scope');
    expect(overview.html).toContain('Handbook');
    expect(overview.html).not.toContain('fresh 0');
    expect((await ui.get(`/ui/projects/${slug}`)).status).toBe(403);
  });

  it('signs out, and a revoked token ends the session on the next page', async () => {
    const member = await env.addMember(org, 'member');
    const ui = new UiClient(env);
    await ui.signIn(member.token);
    expect((await ui.get('/ui')).status).toBe(200);
    await env.request('DELETE', `/v1/org/tokens/${member.tokenId}`, { token: org.ownerToken });
    const after = await ui.get('/ui');
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/ui/sign-in?reason=session-ended');
    expect((await ui.get('/ui/sign-in?reason=session-ended')).html).toContain('Your session ended');
    const ui2 = new UiClient(env);
    await ui2.signIn(org.ownerToken);
    const out = await ui2.post('/ui/sign-out', {});
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/ui/sign-in?reason=signed-out');
    expect((await ui2.get('/ui')).status).toBe(303);
  });

  it('a #token= link only fills in the sign-in form: signing in takes the person\'s click (no login CSRF)', async () => {
    const page = await new UiClient(env).get('/ui/sign-in');
    expect((await new UiClient(env).get('/ui/static/sign-in.js')).html).toBe(SIGN_IN_JS);
    expect(page.html).toMatch(/<p[^>]*id="prefilled"[^>]*hidden/);
    // The served script against the page's elements, as a browser would run it on /ui/sign-in#token=…
    const calls: string[] = [];
    const el = (id: string) => ({ id, value: '', hidden: true, submit: () => calls.push(`submit ${id}`), click: () => calls.push(`click ${id}`), focus: () => calls.push(`focus ${id}`) });
    const elements: Record<string, ReturnType<typeof el>> = Object.fromEntries(['sign-in', 'token', 'prefilled', 'sign-in-button'].map((id) => [id, el(id)]));
    const form = elements['sign-in'];
    const document = { getElementById: (id: string) => elements[id] ?? null, forms: [form], querySelector: () => form };
    const location = { hash: '#token=attacker.jwt.sig', pathname: '/ui/sign-in', search: '' };
    const history = { replaceState: (_s: unknown, _t: string, url: string) => calls.push(`replace ${url}`) };
    runInNewContext(SIGN_IN_JS, { document, location, history, HTMLFormElement: { prototype: { submit: () => calls.push('submit') } } });
    expect(elements.token.value).toBe('attacker.jwt.sig');
    expect(elements.prefilled.hidden).toBe(false);
    expect(calls).toEqual(['replace /ui/sign-in', 'focus sign-in-button']);
  });

  it('?reason= shows only the fixed message its code names, never the caller\'s text', async () => {
    const ui = new UiClient(env);
    const hostile = await ui.get(`/ui/sign-in?reason=${encodeURIComponent('Your account is locked: call +1 555 0100')}`);
    expect(hostile.status).toBe(200);
    expect(hostile.html).not.toContain('555 0100');
    expect(hostile.html).not.toContain('account is locked');
    expect(hostile.html).not.toMatch(/class="notice" role="status"/);
    const inherited = await ui.get('/ui/sign-in?reason=toString');
    expect(inherited.html).not.toMatch(/class="notice" role="status"/);
    expect((await ui.get('/ui/sign-in?reason=signed-out')).html).toContain('<p class="notice" role="status">Signed out.</p>');
  });
});
