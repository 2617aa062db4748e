// The context every tenant rule takes: who acts, for which org, and how to
// open the org's transaction. Rules are plain functions over this, tested
// directly; routes only build it and translate the answer.
import type { Context } from 'hono';
import type { AppEnv } from '../platform/context.js';
import { type Database, type Tx, withTenant } from '../platform/db.js';
import { type Member } from './auth/principal.js';
import { requireMember, requireScope } from './auth/middleware.js';
import type { Scope } from './auth/scopes.js';

export interface TenantContext {
  db: Database;
  member: Member;
  now: Date;
  requestId: string | null;
}

export function tenantContext(c: Context<AppEnv>, scope?: Scope): TenantContext {
  const member = requireMember(c);
  if (scope) requireScope(member, scope);
  return { db: c.get('db'), member, now: c.get('deps').clock(), requestId: c.get('requestId') ?? null };
}

/** The one way a rule reaches tenant tables. */
export function inTenant<T>(ctx: TenantContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return withTenant(ctx.db, { orgId: ctx.member.orgId, userId: ctx.member.userId }, fn);
}
