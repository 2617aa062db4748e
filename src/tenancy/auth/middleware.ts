// Authentication for /v1: a verified token becomes a Principal on the context.
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../platform/context.js';
import { ApiError } from '../../platform/errors.js';
import { chargeIdentity } from '../../platform/rate-limit.js';
import { type Member, resolveMember } from './principal.js';
import type { Scope } from './scopes.js';
import { OPERATOR_ROLE, unauthenticated, verifyToken } from './tokens.js';

const BEARER = /^Bearer\s+([A-Za-z0-9_\-.]+={0,2})\s*$/i;

/** Routes a token without an `org` claim may reach. */
const ORGLESS = new Set(['POST /v1/orgs']);

export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header('authorization');
  if (!header) {
    throw new ApiError('unauthenticated', 'A bearer token is required', { headers: { 'www-authenticate': 'Bearer realm="gatehouse"' } });
  }
  const match = BEARER.exec(header);
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>"');
  const deps = c.get('deps');
  const now = deps.clock();
  const token = await verifyToken(deps.auth, match[1], now);
  // The signature vouches for these, so the request log may name them even when a later check refuses the token.
  c.set('caller', { orgId: token.org, tokenId: token.jti });
  // The signature names the identity: spend its budget before its token row is looked up.
  await chargeIdentity(c, token);
  const orgless = ORGLESS.has(`${c.req.method} ${c.req.path.replace(/\/+$/, '')}`);

  if (token.own && token.role === OPERATOR_ROLE && token.org === null) {
    c.set('principal', { kind: 'operator', subject: token.subject });
  } else if (token.org === null) {
    if (token.own || !orgless) throw unauthenticated('The token has no "org" claim');
    c.set('principal', { kind: 'newcomer', issuer: token.issuer, subject: token.subject, email: token.email, name: token.name });
  } else {
    c.set('principal', await resolveMember(c.get('db'), token, now));
  }
  await next();
};

/** The caller as an org member, or 403 for operator and newcomer tokens. */
export function requireMember(c: Context<AppEnv>): Member {
  const principal = c.get('principal');
  if (principal.kind !== 'member') {
    throw new ApiError('forbidden', principal.kind === 'operator'
      ? 'Operator tokens may create orgs and nothing else'
      : 'This token is not bound to an org');
  }
  return principal;
}

export function requireScope(member: Member, scope: Scope): void {
  if (!member.scopes.has(scope)) {
    throw new ApiError('insufficient_scope', `This operation needs the "${scope}" scope, which this token (role ${member.role}) does not have`, { required_scope: scope });
  }
}
