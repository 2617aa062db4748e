// The RLS backstop: with app.org_id set to org A, a bare SELECT (no WHERE) on
// every tenant table sees only org A's rows; with no org set, none.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDialect } from 'drizzle-orm/pg-core';
import { executeNamed, rowsOf, withTenant } from '../../src/platform/db.js';
import type { Member } from '../../src/tenancy/auth/principal.js';
import { visibleProjects } from '../../src/tenancy/projects.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';
import { seedEveryTable } from '../support/seed.js';

let t: TestDatabase;
let a: Awaited<ReturnType<typeof seedEveryTable>>;
let b: Awaited<ReturnType<typeof seedEveryTable>>;
let tenantTables: string[];

beforeAll(async () => {
  t = await openTestDatabase();
  a = await seedEveryTable(t.db, 'org-a');
  b = await seedEveryTable(t.db, 'org-b');
  tenantTables = rowsOf<{ table_name: string }>(await t.db.execute(sql`
    select table_name from information_schema.columns
    where table_schema = 'public' and column_name = 'org_id' order by table_name`)).map((r) => r.table_name);
});
afterAll(() => t.close());

/** Runs a query as gatehouse_app with no org set at all. */
async function asAppWithoutOrg<T>(fn: (tx: any) => Promise<T>): Promise<T> {
  return t.db.transaction(async (tx) => {
    await tx.execute(sql`set local role gatehouse_app`);
    return fn(tx);
  });
}

describe('row-level security', () => {
  it('covers every table that carries org_id, plus orgs', async () => {
    expect(tenantTables.length).toBeGreaterThanOrEqual(17);
    const rows = rowsOf<{ relname: string; relrowsecurity: boolean; policies: number }>(await t.db.execute(sql`
      select c.relname, c.relrowsecurity, (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and c.relname in (${sql.join([...tenantTables, 'orgs'].map((name) => sql`${name}`), sql`, `)})`));
    expect(rows).toHaveLength(tenantTables.length + 1);
    for (const row of rows) {
      expect(row.relrowsecurity, row.relname).toBe(true);
      expect(row.policies, row.relname).toBeGreaterThan(0);
    }
  });

  it('with org A set, a bare SELECT on each tenant table returns only org A\'s rows', async () => {
    await withTenant(t.db, { orgId: a.orgId }, async (tx) => {
      for (const table of tenantTables) {
        const orgIds = rowsOf<{ org_id: string }>(await tx.execute(sql.raw(`select org_id from "${table}"`))).map((r) => r.org_id);
        expect(orgIds.length, table).toBeGreaterThan(0);
        expect(new Set(orgIds), table).toEqual(new Set([a.orgId]));
      }
      const orgs = rowsOf<{ id: string }>(await tx.execute(sql`select id from orgs`)).map((r) => r.id);
      expect(orgs).toEqual([a.orgId]);
    });
  });

  it('with no org set, every tenant table looks empty', async () => {
    await asAppWithoutOrg(async (tx) => {
      for (const table of [...tenantTables, 'orgs']) {
        const rows = rowsOf(await tx.execute(sql.raw(`select * from "${table}"`)));
        expect(rows, table).toHaveLength(0);
      }
    });
  });

  it('refuses a write into another org, and a forged org_id on update', async () => {
    await expectRefused(withTenant(t.db, { orgId: a.orgId }, (tx) =>
      tx.execute(sql`insert into groups (org_id, name) values (${b.orgId}, 'sneaky')`)), /row-level security/);
    await expectRefused(withTenant(t.db, { orgId: a.orgId }, (tx) =>
      tx.execute(sql`update groups set org_id = ${b.orgId}`)), /row-level security/);
    const updated = await withTenant(t.db, { orgId: a.orgId }, async (tx) =>
      rowsOf(await tx.execute(sql`update projects set name = 'pwned' where org_id = ${b.orgId} returning id`)));
    expect(updated).toHaveLength(0);
    const names = rowsOf<{ name: string }>(await t.db.execute(sql`select name from projects where org_id = ${b.orgId}`));
    expect(names.map((r) => r.name)).toEqual(['p']);
  });

  it('the setting and the role end with the transaction', async () => {
    const inside = await withTenant(t.db, { orgId: a.orgId }, async (tx) =>
      rowsOf<{ org: string; role: string }>(await tx.execute(sql`select current_setting('app.org_id') as org, current_user as role`)));
    expect(inside[0]).toEqual({ org: a.orgId, role: 'gatehouse_app' });
    const after = rowsOf<{ org: string | null; role: string }>(await t.db.execute(sql`select nullif(current_setting('app.org_id', true), '') as org, current_user as role`));
    expect(after[0].org).toBeNull();
    expect(after[0].role).not.toBe('gatehouse_app');
  });
});

describe('named prepared statements (executeNamed)', () => {
  const jobOrgs = sql`select org_id from review_jobs`;

  it('a plan cached on a pooled connection keeps no org: alternating orgs each see only their own rows, past the point PostgreSQL switches to a generic plan', async () => {
    for (let i = 0; i < 30; i++) {
      const org = i % 2 === 0 ? a : b;
      const seen = await withTenant(t.db, { orgId: org.orgId }, async (tx) => rowsOf<{ org_id: string }>(await executeNamed(tx, jobOrgs)).map((r) => r.org_id));
      expect(seen.length, `call ${i}`).toBeGreaterThan(0);
      expect(new Set(seen), `call ${i}`).toEqual(new Set([org.orgId]));
    }
    // On PostgreSQL it really is a prepared statement of the connection (PGlite ignores the name).
    const named = await withTenant(t.db, { orgId: a.orgId }, async (tx) => {
      await executeNamed(tx, jobOrgs);
      return rowsOf<{ n: number }>(await tx.execute(sql`select count(*)::int as n from pg_prepared_statements where name like 'gh\_%' and statement like '%from review_jobs%'`))[0].n;
    });
    expect(named).toBe(t.kind === 'pg' ? 1 : 0);
  });

  it('a token naming more projects makes no new statement text (its projects travel as one array parameter)', () => {
    const dialect = new PgDialect();
    const member: Member = { kind: 'member', orgId: a.orgId, userId: a.orgId, role: 'member', scopes: new Set(), tokenId: null, projectIds: null };
    const text = (projectIds: string[] | null) => dialect.sqlToQuery(visibleProjects({ ...member, projectIds })).sql;
    const one = text([crypto.randomUUID()]);
    expect(text([crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()])).toBe(one);
    expect(text([])).toBe(one);
    expect(text(null)).not.toBe(one);
  });

  it('a plan made under gatehouse_app is not reused by another role: the same text outside withTenant runs without the tenant policies', async () => {
    for (let i = 0; i < 6; i++) await withTenant(t.db, { orgId: a.orgId }, (tx) => executeNamed(tx, jobOrgs));
    const seen = new Set(rowsOf<{ org_id: string }>(await t.db.transaction((tx) => executeNamed(tx, jobOrgs))).map((r) => r.org_id));
    expect(seen.has(a.orgId) && seen.has(b.orgId)).toBe(true);
  });
});

describe('the token lookup (gatehouse_resolve_minted_token, one statement per request)', () => {
  const resolve = async (orgId: string, jti: string, subject: string) => rowsOf<{ token_user_id: string; member_role: string | null }>(
    await t.db.execute(sql`select * from gatehouse_resolve_minted_token(${orgId}::uuid, ${jti}::uuid, ${subject}, now())`));

  it('finds a token of the org it is asked for, with the holder\'s role, and stamps last_used_at', async () => {
    await t.db.execute(sql`update api_tokens set last_used_at = null where id = ${b.tokenId}`);
    const rows = await resolve(b.orgId, b.tokenId, b.userId);
    expect(rows).toEqual([expect.objectContaining({ token_user_id: b.userId, member_role: 'owner' })]);
    const [stamp] = rowsOf<{ last_used_at: unknown }>(await t.db.execute(sql`select last_used_at from api_tokens where id = ${b.tokenId}`));
    expect(stamp.last_used_at).not.toBeNull();
  });

  it('reads under RLS: another org\'s token is invisible even when its id and holder are named exactly, and is not stamped', async () => {
    await t.db.execute(sql`update api_tokens set last_used_at = null where id = ${b.tokenId}`);
    expect(await resolve(a.orgId, b.tokenId, b.userId)).toEqual([]);
    const [stamp] = rowsOf<{ last_used_at: unknown }>(await t.db.execute(sql`select last_used_at from api_tokens where id = ${b.tokenId}`));
    expect(stamp.last_used_at).toBeNull();
  });

  it('leaves no org and no role behind: inside an open transaction it puts back what it found', async () => {
    // One transaction pins one connection, so the check after the call is on the same one.
    const after = await t.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('app.org_id', ${a.orgId}, true)`);
      const found = rowsOf<{ token_user_id: string }>(await tx.execute(sql`select * from gatehouse_resolve_minted_token(${b.orgId}::uuid, ${b.tokenId}::uuid, ${b.userId}, now())`));
      expect(found.map((r) => r.token_user_id)).toEqual([b.userId]);
      return rowsOf<{ org: string; role: string }>(await tx.execute(sql`select current_setting('app.org_id') as org, current_user as role`))[0];
    });
    expect(after.org).toBe(a.orgId);
    expect(after.role).not.toBe('gatehouse_app');
    const outside = rowsOf<{ org: string | null; role: string }>(await t.db.execute(sql`select nullif(current_setting('app.org_id', true), '') as org, current_user as role`));
    expect(outside[0].org).toBeNull();
    expect(outside[0].role).not.toBe('gatehouse_app');
  });

  it('may not be called from a tenant transaction (gatehouse_app has no EXECUTE on it)', async () => {
    await expectRefused(withTenant(t.db, { orgId: a.orgId }, (tx) =>
      tx.execute(sql`select * from gatehouse_resolve_minted_token(${b.orgId}::uuid, ${b.tokenId}::uuid, ${b.userId}, now())`)), /permission denied/);
  });

  it('does not stamp the token of someone who is no longer a member', async () => {
    const c = await seedEveryTable(t.db, 'org-c');
    await t.db.execute(sql`update api_tokens set last_used_at = null where id = ${c.tokenId}`);
    await t.db.execute(sql`delete from org_memberships where org_id = ${c.orgId} and user_id = ${c.userId}`);
    expect(await resolve(c.orgId, c.tokenId, c.userId)).toEqual([expect.objectContaining({ token_user_id: c.userId, member_role: null })]);
    const [stamp] = rowsOf<{ last_used_at: unknown }>(await t.db.execute(sql`select last_used_at from api_tokens where id = ${c.tokenId}`));
    expect(stamp.last_used_at).toBeNull();
  });
});

/** drizzle wraps driver errors as "Failed query"; the database's words are in the cause. */
async function expectRefused(promise: Promise<unknown>, pattern: RegExp) {
  const err = await promise.then(() => null, (e: unknown) => e as { message: string; cause?: { message: string } });
  expect(err, 'expected the statement to be refused').not.toBeNull();
  expect(`${err!.message} ${err!.cause?.message ?? ''}`).toMatch(pattern);
}

describe('append-only history', () => {
  it('acceptance_events refuses UPDATE, DELETE and TRUNCATE, even for the owner role', async () => {
    await expectRefused(t.db.execute(sql`update acceptance_events set reason = 'x' where id = ${a.eventId}`), /append-only/);
    await expectRefused(t.db.execute(sql`delete from acceptance_events where id = ${a.eventId}`), /append-only/);
    await expectRefused(t.db.execute(sql`truncate acceptance_events cascade`), /append-only/);
  });

  it('the app role may only append to the audit log', async () => {
    await expectRefused(withTenant(t.db, { orgId: a.orgId }, (tx) => tx.execute(sql`update audit_log set action = 'x'`)), /permission denied/);
    await expectRefused(withTenant(t.db, { orgId: a.orgId }, (tx) => tx.execute(sql`delete from audit_log`)), /permission denied/);
  });
});
