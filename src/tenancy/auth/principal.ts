// Who is calling: resolved from a verified token and, for org members, from
// the database (membership role, the minted token's row), so a demotion,
// removal or revocation takes effect on the very next request.
import { and, eq } from 'drizzle-orm';
import { orgMemberships, users } from '../../../drizzle/schema.js';
import { type Database, withTenant } from '../../platform/db.js';
import { ApiError } from '../../platform/errors.js';
import { effectiveScopes, type Role, type Scope } from './scopes.js';
import { type MintedTokenRow, mintedToken } from './token-lookup.js';
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

function mintedMember(orgId: string, token: VerifiedToken, row: MintedTokenRow | undefined, now: Date): Member {
  if (!row || row.token_user_id !== token.subject) throw unauthenticated('The token is not recognised');
  if (row.token_revoked_at) throw unauthenticated('The token has been revoked');
  if (new Date(row.token_expires_at).getTime() <= now.getTime()) throw unauthenticated('The token has expired');
  if (!row.member_role) throw unauthenticated('The token belongs to someone who is no longer a member of this org');
  return {
    kind: 'member',
    orgId,
    userId: row.token_user_id,
    role: row.member_role,
    scopes: effectiveScopes(row.member_role, row.token_scopes),
    tokenId: token.jti,
    projectIds: row.token_project_ids ?? null,
  };
}

export async function resolveMember(db: Database, token: VerifiedToken, now: Date): Promise<Member> {
  const orgId = token.org!;
  if (token.own) {
    if (!token.jti) throw unauthenticated('The token has no "jti" claim');
    return mintedMember(orgId, token, await mintedToken(db, orgId, token.jti, token.subject, now), now);
  }
  // An external issuer's identity: found by issuer and subject, in a tenant transaction.
  return withTenant(db, { orgId }, async (tx) => {
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
