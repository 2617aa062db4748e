// Who is calling: resolved from a verified token and, for org members, from
// the database (membership role, the minted token's row), so a demotion,
// removal or revocation takes effect on the very next request.
import { and, eq, sql } from 'drizzle-orm';
import { apiTokens, orgMemberships, users } from '../../../drizzle/schema.js';
import { type Database, withTenant } from '../../platform/db.js';
import { ApiError } from '../../platform/errors.js';
import { effectiveScopes, type Role, type Scope } from './scopes.js';
import { unauthenticated, type VerifiedToken } from './tokens.js';

export interface Member {
  kind: 'member';
  orgId: string;
  userId: string;
  role: Role;
  scopes: Set<Scope>;
  /** The minted token's id (jti); null for external-issuer tokens. */
  tokenId: string | null;
  /** Projects a narrowed token is limited to; null for all. */
  projectIds: string[] | null;
}

/** Signed by the server's own key with role `operator`: may create orgs, sees no tenant data. */
export interface Operator {
  kind: 'operator';
  subject: string;
}

/** An external identity with no org yet: may create an org and become its owner. */
export interface Newcomer {
  kind: 'newcomer';
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
}

export type Principal = Member | Operator | Newcomer;

/** last_used_at is written at most once a minute per token, not on every request. */
const LAST_USED_RESOLUTION = sql`interval '60 seconds'`;

export async function resolveMember(db: Database, token: VerifiedToken, now: Date): Promise<Member> {
  const orgId = token.org!;
  return withTenant(db, { orgId }, async (tx) => {
    if (token.own) {
      if (!token.jti) throw unauthenticated('The token has no "jti" claim');
      const [row] = await tx
        .select({
          userId: apiTokens.userId,
          scopes: apiTokens.scopes,
          projectIds: apiTokens.projectIds,
          expiresAt: apiTokens.expiresAt,
          revokedAt: apiTokens.revokedAt,
          role: orgMemberships.role,
        })
        .from(apiTokens)
        .leftJoin(orgMemberships, and(eq(orgMemberships.userId, apiTokens.userId), eq(orgMemberships.orgId, apiTokens.orgId)))
        .where(eq(apiTokens.id, token.jti))
        .limit(1);
      if (!row || row.userId !== token.subject) throw unauthenticated('The token is not recognised');
      if (row.revokedAt) throw unauthenticated('The token has been revoked');
      if (new Date(row.expiresAt).getTime() <= now.getTime()) throw unauthenticated('The token has expired');
      if (!row.role) throw unauthenticated('The token belongs to someone who is no longer a member of this org');
      await tx
        .update(apiTokens)
        .set({ lastUsedAt: now.toISOString() })
        .where(and(eq(apiTokens.id, token.jti), sql`(last_used_at is null or last_used_at < ${now.toISOString()}::timestamptz - ${LAST_USED_RESOLUTION})`));
      return {
        kind: 'member',
        orgId,
        userId: row.userId,
        role: row.role,
        scopes: effectiveScopes(row.role, row.scopes),
        tokenId: token.jti,
        projectIds: row.projectIds ?? null,
      };
    }
    const [row] = await tx
      .select({ userId: users.id, role: orgMemberships.role })
      .from(users)
      .innerJoin(orgMemberships, and(eq(orgMemberships.userId, users.id), eq(orgMemberships.orgId, users.orgId)))
      .where(and(eq(users.issuer, token.issuer), eq(users.subject, token.subject)))
      .limit(1);
    if (!row) throw new ApiError('forbidden', 'This identity is not a member of the org named by the token');
    return {
      kind: 'member',
      orgId,
      userId: row.userId,
      role: row.role,
      scopes: effectiveScopes(row.role, token.scope),
      tokenId: null,
      projectIds: null,
    };
  });
}
