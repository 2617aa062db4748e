// Who is calling: resolved from a verified token and, for org members, from
// the database (membership role, the minted token's row), so a demotion,
// removal or revocation takes effect on the very next request.
import { and, eq, sql } from 'drizzle-orm';
import { orgMemberships, users } from '../../../drizzle/schema.js';
import { type Database, rowsOf, type Tx, withTenant } from '../../platform/db.js';
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

interface MintedTokenRow {
  user_id: string;
  scopes: string[];
  project_ids: string[] | null;
  expires_at: string | Date;
  revoked_at: string | Date | null;
  role: Role | null;
}

/**
 * A minted token's row and its holder's membership, in one statement: it
 * runs on every authenticated request. The data-modifying CTE stamps
 * last_used_at (at most once a minute, and only for a token that is still
 * good) in the same round trip; arrays travel as JSON so every driver reads
 * them alike.
 */
async function mintedToken(tx: Tx, jti: string, subject: string, now: Date): Promise<MintedTokenRow | undefined> {
  const at = now.toISOString();
  const [row] = rowsOf<MintedTokenRow>(await tx.execute(sql`
    with touched as (
      update api_tokens set last_used_at = ${at}::timestamptz
      where id = ${jti} and user_id = ${subject} and revoked_at is null and expires_at > ${at}::timestamptz
        and (last_used_at is null or last_used_at < ${at}::timestamptz - ${LAST_USED_RESOLUTION})
      returning id
    )
    select t.user_id, to_jsonb(t.scopes) as scopes, to_jsonb(t.project_ids) as project_ids, t.expires_at, t.revoked_at, m.role
    from api_tokens t
    left join org_memberships m on m.user_id = t.user_id and m.org_id = t.org_id
    where t.id = ${jti}
    limit 1`));
  return row;
}

export async function resolveMember(db: Database, token: VerifiedToken, now: Date): Promise<Member> {
  const orgId = token.org!;
  return withTenant(db, { orgId }, async (tx) => {
    if (token.own) {
      if (!token.jti) throw unauthenticated('The token has no "jti" claim');
      const row = await mintedToken(tx, token.jti, token.subject, now);
      if (!row || row.user_id !== token.subject) throw unauthenticated('The token is not recognised');
      if (row.revoked_at) throw unauthenticated('The token has been revoked');
      if (new Date(row.expires_at).getTime() <= now.getTime()) throw unauthenticated('The token has expired');
      if (!row.role) throw unauthenticated('The token belongs to someone who is no longer a member of this org');
      return {
        kind: 'member',
        orgId,
        userId: row.user_id,
        role: row.role,
        scopes: effectiveScopes(row.role, row.scopes),
        tokenId: token.jti,
        projectIds: row.project_ids ?? null,
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
