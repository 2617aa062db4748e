// The dashboard at /ui: server-rendered pages from the same app on both
// hosts. Outside /v1, so the API's bearer middleware does not apply; pages
// use the cookie session (session.ts), which verifies the token the same way.
// Every page reaches data through the same tenant-scoped functions as the
// API routes, so a page shows exactly what the token may see.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { compress } from 'hono/compress';
import { getCookie } from 'hono/cookie';
import { ApiError, problem } from '../platform/errors.js';
import { listProjects } from '../tenancy/projects.js';
import { orgOverview } from './data/heatmap.js';
import { Page } from './layout.js';
import { ErrorBody } from './pages/common.js';
import { Proportions } from './pages/heatmap.js';
import { adminRoutes } from './admin-routes.js';
import { projectRoutes } from './project-routes.js';
import { endSession, memberFromToken, newSignInNonce, requireSession, SIGNIN_COOKIE, startSession, uiContext, type UiEnv } from './session.js';
import { APP_CSS, SIGN_IN_JS } from './static.js';

/** Scripts and styles from this origin only; nothing inline, no frames, forms post only here. */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const uiRoutes = new Hono<UiEnv>();

uiRoutes.use('*', async (c, next) => {
  await next();
  c.header('content-security-policy', CSP);
  c.header('x-content-type-options', 'nosniff');
  c.header('x-frame-options', 'DENY');
  c.header('referrer-policy', 'no-referrer');
  if (!c.req.path.startsWith('/ui/static/')) c.header('cache-control', 'no-store');
});
// A heatmap of the real corpus is about 2 MB of HTML and compresses twentyfold.
// Only where the host asks (Node): Workers compresses every response itself.
const gzip = compress();
uiRoutes.use('*', (c, next) => (c.get('deps').compressDashboard ? gzip(c, next) : next()));
uiRoutes.use('*', bodyLimit({ maxSize: 256 * 1024, onError: (c) => c.text('The form is too large', 413) }));

uiRoutes.onError((err, c) => renderError(c as Context<UiEnv>, err));
uiRoutes.notFound((c) => renderError(c as Context<UiEnv>, new ApiError('not_found', 'No such page')));

function renderError(c: Context<UiEnv>, err: Error) {
  if (!(err instanceof ApiError)) {
    console.error('ui error', err);
    err = new ApiError('internal', 'Something went wrong; the error was logged');
  }
  const e = err as ApiError;
  // A refusal to go on (rate limit) answers as the API does: problem+json with Retry-After.
  if (e.status === 429) return problem(c, e);
  const title = e.status === 404 ? 'Not found' : e.status === 403 ? 'Not allowed' : e.status === 409 ? 'Conflict' : e.status >= 500 ? 'Error' : 'Cannot do that';
  const member = c.get('principal')?.kind === 'member' ? (c.get('principal') as never) : undefined;
  return c.html(<Page title={title} member={member} csrf={c.get('csrf')}><ErrorBody status={e.status} title={title} detail={e.detail} /></Page>, e.status as 400);
}

const asset = (body: string, type: string) => (c: Context) =>
  c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=300' });
uiRoutes.get('/static/app.css', asset(APP_CSS, 'text/css; charset=utf-8'));
uiRoutes.get('/static/sign-in.js', asset(SIGN_IN_JS, 'text/javascript; charset=utf-8'));

/**
 * Why the sign-in page was shown, by code: the page prints only these fixed
 * texts, never the query's own words, so a link cannot put a message of the
 * sender's choosing on this origin's page.
 */
export const SIGN_IN_REASONS = {
  'signed-out': 'Signed out.',
  'session-ended': 'Your session ended: the token expired or was revoked, or its holder left the org. Sign in again.',
} as const;
export type SignInReason = keyof typeof SIGN_IN_REASONS;
const reasonText = (code: string | undefined) => (code && Object.hasOwn(SIGN_IN_REASONS, code) ? SIGN_IN_REASONS[code as SignInReason] : undefined);

function SignIn(props: { nonce: string; reason?: string; error?: string }) {
  return (
    <Page title="Sign in">
      <h1>Sign in to Gatehouse</h1>
      {props.reason && <p class="notice" role="status">{props.reason}</p>}
      <p class="notice secret" id="prefilled" role="status" hidden>A link filled in this token. Sign in only if you opened the link yourself (with <code>gatehouse login --web</code>): a link from someone else would sign you in as them, into their org.</p>
      {props.error && <p class="notice error" role="alert">{props.error}</p>}
      <form method="post" action="/ui/sign-in" id="sign-in">
        <input type="hidden" name="_signin" value={props.nonce} />
        <p><label for="token">API token (a JWT from <code>gatehouse tokens mint</code>, <code>npm run token</code> or an org admin)</label></p>
        <p><textarea id="token" name="token" rows={5} required autocomplete="off" spellcheck={false}></textarea></p>
        <p><button type="submit" class="primary" id="sign-in-button">Sign in</button></p>
      </form>
      {/* A fixed text, the same on every host: it names where `npm start` writes the token, and reads nothing from this server. */}
      <p class="muted" id="local-token-hint">Running Gatehouse on your own machine (<code>npm start</code>)? The local owner's token is in <code>.gatehouse/local-owner.token</code> (in <code>$GATEHOUSE_DATA_DIR</code> when that is set).</p>
      <p class="muted">The token is kept in an HttpOnly cookie for this site only. <code>gatehouse login --web</code> opens this page with your token filled in.</p>
      <script src="/ui/static/sign-in.js"></script>
    </Page>
  );
}

uiRoutes.get('/sign-in', (c) => c.html(<SignIn nonce={newSignInNonce(c)} reason={reasonText(c.req.query('reason'))} />));

uiRoutes.post('/sign-in', async (c) => {
  // Login CSRF: the form must carry the value this browser got with the sign-in page.
  const expected = getCookie(c, SIGNIN_COOKIE) ?? '';
  const form = await c.req.parseBody();
  if (!expected || form._signin !== expected) {
    return c.html(<SignIn nonce={newSignInNonce(c)} error="The sign-in form expired; paste the token again." />, 403);
  }
  const token = typeof form.token === 'string' ? form.token.trim() : '';
  try {
    if (!/^[A-Za-z0-9_\-.]+$/.test(token)) throw new ApiError('unauthenticated', 'That is not a token');
    await memberFromToken(c, token);
  } catch (err) {
    if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 403)) throw err;
    return c.html(<SignIn nonce={newSignInNonce(c)} error={`Sign-in failed: ${err.detail}`} />, 401);
  }
  startSession(c, token);
  return c.redirect('/ui', 303);
});

uiRoutes.post('/sign-out', requireSession, async (c) => {
  endSession(c);
  return c.redirect('/ui/sign-in?reason=signed-out', 303);
});

uiRoutes.use('*', requireSession);

uiRoutes.get('/', async (c) => {
  const ctx = uiContext(c);
  const projects = await listProjects(ctx, { limit: 200 });
  // Proportions are freshness reads: a token without freshness:read gets the list only, as from the API.
  const canRead = ctx.member.scopes.has('freshness:read');
  const overview = canRead ? await orgOverview(ctx, projects.items.map((p) => p.slug)) : [];
  return c.html(
    <Page title="Projects" member={ctx.member} csrf={c.get('csrf')} current="overview">
      <h1>Projects</h1>
      {!canRead && <>
        <p class="notice">This token lacks the freshness:read scope, so no freshness is shown.</p>
        <ul>{projects.items.map((p) => <li>{p.name} <span class="muted">({p.slug})</span></li>)}</ul>
      </>}
      {canRead && overview.length === 0 && <p class="notice">No projects you can see. Create one with <code>POST /v1/projects</code>, or ask an org admin to share one.</p>}
      {overview.map((p) => (
        <section aria-labelledby={`p-${p.project.slug}`}>
          <h2 id={`p-${p.project.slug}`}><a href={`/ui/projects/${encodeURIComponent(p.project.slug)}`}>{p.project.name}</a> <span class="muted">({p.project.slug}, {p.notes} notes × {p.gates} gates)</span></h2>
          {p.partitions.length === 0 ? <p class="muted">Nothing reviewed yet.</p> : (
            <table class="list">
              <thead><tr><th scope="col">Partition</th><th scope="col">Freshness</th></tr></thead>
              <tbody>{p.partitions.map((r) => (
                <tr>
                  <th scope="row"><a href={`/ui/projects/${encodeURIComponent(p.project.slug)}?partition=${encodeURIComponent(r.partition)}`}>{r.partition}</a> <span class="muted">{r.status}</span></th>
                  <td><Proportions counts={r.counts} /></td>
                </tr>))}
              </tbody>
            </table>
          )}
          {p.more > 0 && <p class="muted">and {p.more} more partitions (open the project)</p>}
        </section>
      ))}
    </Page>,
  );
});

uiRoutes.get('/projects', (c) => c.redirect('/ui', 308));
uiRoutes.route('/', projectRoutes);
uiRoutes.route('/', adminRoutes);
// Mounted, a sub-app's notFound is not consulted: answer unknown pages here.
uiRoutes.all('*', () => { throw new ApiError('not_found', 'No such page'); });
