// The dashboard's session: the pasted token itself, kept in an HttpOnly
// cookie and verified on every request through the same path as the API's
// bearer auth (verifyToken + resolveMember), so a revoked token, a removed
// member or a demotion takes effect on the next page, exactly as on /v1.
// Nothing is stored server-side: both hosts stay stateless.
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { decodeJwt } from 'jose';
import type { AppEnv } from '../platform/context.js';
import { ApiError } from '../platform/errors.js';
import { chargeIdentity } from '../platform/rate-limit.js';
import { resolveMember, type Member } from '../tenancy/auth/principal.js';
import { verifyToken } from '../tenancy/auth/tokens.js';
import type { Scope } from '../tenancy/auth/scopes.js';
import { tenantContext, type TenantContext } from '../tenancy/context.js';

export const SESSION_COOKIE = 'gatehouse_session';
/** A random value set by the sign-in page: guards the sign-in form itself against login CSRF. */
export const SIGNIN_COOKIE = 'gatehouse_signin';
const COOKIE_PATH = '/ui';
/** A session lasts as long as its token, but never longer than this. */
const MAX_SESSION_SECONDS = 7 * 24 * 3600;

export const isHttps = (c: Context) =>
  new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';

const b64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/**
 * The CSRF token of a session: a hash of the session's secret. Only someone
 * who holds the HttpOnly cookie's value can compute it, so a cross-site form
 * cannot forge it, and no server-side state is needed to check it.
 */
export async function csrfFor(sessionToken: string): Promise<string> {
  return b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`gatehouse-ui-csrf\u0000${sessionToken}`)));
}

/** Constant-time comparison, so the check leaks nothing through timing. */
export function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function newSignInNonce(c: Context): string {
  const nonce = b64url(crypto.getRandomValues(new Uint8Array(24)));
  setCookie(c, SIGNIN_COOKIE, nonce, { path: COOKIE_PATH, httpOnly: true, secure: isHttps(c), sameSite: 'Strict', maxAge: 3600 });
  return nonce;
}

/** Verify a pasted token as the API would; only org members may use the dashboard. */
export async function memberFromToken(c: Context<UiEnv>, token: string): Promise<Member> {
  const deps = c.get('deps');
  const verified = await verifyToken(deps.auth, token, deps.clock());
  // The same budget as the API's, spent before the database lookup (rate-limit.ts).
  await chargeIdentity(c as unknown as Context<AppEnv>, verified);
  if (verified.org === null) throw new ApiError('unauthenticated', 'This token is not bound to an org; the dashboard needs an org member\'s token');
  return resolveMember(c.get('db'), verified, deps.clock());
}

export function startSession(c: Context<UiEnv>, token: string) {
  const exp = decodeJwt(token).exp ?? 0;
  const left = Math.floor(exp - c.get('deps').clock().getTime() / 1000);
  setCookie(c, SESSION_COOKIE, token, {
    path: COOKIE_PATH, httpOnly: true, secure: isHttps(c), sameSite: 'Strict', maxAge: Math.max(1, Math.min(left, MAX_SESSION_SECONDS)),
  });
  deleteCookie(c, SIGNIN_COOKIE, { path: COOKIE_PATH, secure: isHttps(c) });
}

export function endSession(c: Context<UiEnv>) {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, secure: isHttps(c), httpOnly: true, sameSite: 'Strict' });
}

export type UiEnv = AppEnv & { Variables: AppEnv['Variables'] & { csrf: string } };

/**
 * Pages behind sign-in: a missing or no longer valid session goes to the
 * sign-in page; every POST must carry the session's CSRF token and, when the
 * browser says where it comes from, come from this origin.
 */
export const requireSession: MiddlewareHandler<UiEnv> = async (c, next) => {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return c.redirect('/ui/sign-in', 303);
  let member: Member;
  try {
    member = await memberFromToken(c, token);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      endSession(c);
      // A code, not err.detail: the sign-in page shows fixed texts only (SIGN_IN_REASONS in routes.tsx).
      return c.redirect('/ui/sign-in?reason=session-ended', 303);
    }
    throw err;
  }
  c.set('principal', member);
  c.set('caller', { orgId: member.orgId, tokenId: member.tokenId });
  const csrf = await csrfFor(token);
  c.set('csrf', csrf);
  if (c.req.method === 'POST') await checkPost(c, csrf);
  await next();
};

/** A POST from another origin, or without the form's CSRF token, is refused. */
export async function checkPost(c: Context, expected: string) {
  // Hosts, not origins: behind a TLS-terminating proxy the app sees http.
  const origin = c.req.header('origin');
  const host = c.req.header('x-forwarded-host') ?? c.req.header('host') ?? new URL(c.req.url).host;
  if (origin && origin !== 'null' && new URL(origin).host !== host) throw new ApiError('forbidden', 'Cross-origin form posts are refused');
  const form = await c.req.parseBody();
  const sent = typeof form._csrf === 'string' ? form._csrf : '';
  if (!sameSecret(sent, expected)) throw new ApiError('forbidden', 'The form\'s CSRF token is missing or wrong; reload the page and try again');
}

/** The API's tenant context for a page (UiEnv only adds the CSRF token to AppEnv). */
export function uiContext(c: Context<UiEnv>, scope?: Scope): TenantContext {
  return tenantContext(c as unknown as Context<AppEnv>, scope);
}
