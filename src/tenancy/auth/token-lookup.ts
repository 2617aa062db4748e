// The lookup every request with a minted token makes: its own module, so the
// guard in test/platform/tenant-access.test.ts can allow this one statement
// on a bare database handle and nothing else.
import { sql } from 'drizzle-orm';
import { type Database, executeNamed, rowsOf } from '../../platform/db.js';
import type { Role } from './scopes.js';

export interface MintedTokenRow {
  token_user_id: string;
  token_scopes: string[];
  token_project_ids: string[] | null;
  token_expires_at: string | Date;
  token_revoked_at: string | Date | null;
  member_role: Role | null;
}

/**
 * A minted token's row and its holder's membership: it runs on every
 * authenticated request, so it is one statement in one round trip, outside
 * any explicit transaction. The function (migration 0009) sets the org, user
 * and role, reads under RLS as a tenant transaction would, stamps
 * last_used_at (at most once a minute) and puts back what it found; only
 * the connecting role may call it. Arrays travel as JSON so every driver
 * reads them alike.
 */
export async function mintedToken(db: Database, orgId: string, jti: string, subject: string, now: Date): Promise<MintedTokenRow | undefined> {
  const [row] = rowsOf<MintedTokenRow>(await executeNamed(db, sql`
    select * from gatehouse_resolve_minted_token(${orgId}::uuid, ${jti}::uuid, ${subject}, ${now.toISOString()}::timestamptz)`));
  return row;
}
