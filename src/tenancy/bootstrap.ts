// Operator-side setup that runs with the server's own database access, never
// from a request: the `local` org on first start, and finding an org for the
// token-minting command.
import { sql } from 'drizzle-orm';
import { orgMemberships, orgs, users } from '../../drizzle/schema.js';
import { type Database, rowsOf, withTenant } from '../platform/db.js';
import { issueToken } from './api-tokens.js';
import { roleCeiling, type Scope } from './auth/scopes.js';
import type { AuthConfig } from './auth/tokens.js';

export const LOCAL_ORG = 'local';
export const LOCAL_OWNER_SUBJECT = 'owner';

/**
 * Create org `local` with an owner and mint the owner's token, once. The
 * insert is ON CONFLICT DO NOTHING, so concurrent first starts are safe and
 * later starts do nothing.
 */
export async function ensureLocalOrg(db: Database, auth: AuthConfig, now: Date, tokenDays = 365): Promise<{ orgId: string; token: string } | null> {
  const orgId = crypto.randomUUID();
  return withTenant(db, { orgId }, async (tx) => {
    const inserted = await tx.insert(orgs).values({ id: orgId, slug: LOCAL_ORG, name: 'Local' }).onConflictDoNothing().returning();
    if (inserted.length === 0) return null;
    const [user] = await tx.insert(users).values({ orgId, issuer: auth.issuer, subject: LOCAL_OWNER_SUBJECT, displayName: 'Local owner' }).returning();
    await tx.insert(orgMemberships).values({ orgId, userId: user.id, role: 'owner' });
    const expiresAt = new Date(now.getTime() + tokenDays * 86_400_000);
    const { secret } = await issueToken(tx, auth, { orgId, userId: user.id, name: 'local owner (first start)', scopes: roleCeiling.owner, projectIds: null, expiresAt, createdBy: null, now });
    return { orgId, token: secret };
  });
}

/** Org id for a slug: an operator lookup across orgs, deliberately outside tenant scope. */
export async function findOrgId(db: Database, slugOrId: string): Promise<string | null> {
  const result = await db.execute(sql`select id from orgs where slug = ${slugOrId} or id::text = ${slugOrId} limit 1`);
  return rowsOf<{ id: string }>(result)[0]?.id ?? null;
}

export interface MintForMemberInput {
  orgId: string;
  subject?: string;
  userId?: string;
  scopes?: Scope[];
  days: number;
  name: string;
}

/** Mint a token for an existing member (by user id or Gatehouse subject). */
export async function mintForMember(db: Database, auth: AuthConfig, input: MintForMemberInput, now: Date) {
  return withTenant(db, { orgId: input.orgId }, async (tx) => {
    const found = rowsOf<{ id: string; role: keyof typeof roleCeiling }>(await tx.execute(sql`
      select u.id, m.role from users u join org_memberships m on m.user_id = u.id
      where ${input.userId ? sql`u.id = ${input.userId}::uuid` : sql`u.issuer = ${auth.issuer} and u.subject = ${input.subject ?? LOCAL_OWNER_SUBJECT}`}`))[0];
    if (!found) throw new Error('No such member in that org');
    const ceiling = roleCeiling[found.role];
    const scopes = input.scopes ?? [...ceiling];
    const beyond = scopes.filter((s) => !ceiling.includes(s));
    if (beyond.length) throw new Error(`Scopes beyond the member's role (${found.role}): ${beyond.join(', ')}`);
    const expiresAt = new Date(now.getTime() + input.days * 86_400_000);
    const { row, secret } = await issueToken(tx, auth, { orgId: input.orgId, userId: found.id, name: input.name, scopes, projectIds: null, expiresAt, createdBy: null, now });
    return { id: row.id, token: secret, expiresAt };
  });
}
