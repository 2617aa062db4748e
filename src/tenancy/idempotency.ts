// Idempotency-Key for POSTs that create things: a retried request returns the
// first answer instead of creating a second thing.
import { z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { idempotencyKeys } from '../../drizzle/schema.js';
import type { AppEnv } from '../platform/context.js';
import { withTenant } from '../platform/db.js';
import { ApiError } from '../platform/errors.js';
import { requireMember, requireScope } from './auth/middleware.js';
import type { Scope } from './auth/scopes.js';

export const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional()
    .openapi({ description: 'Makes a retried create return the first answer (kept 24 hours)' }),
});

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const KEEP_MS = 86_400_000;

/** What a repeated key gets: the stored answer, or why there is none. */
function answerFor(row: typeof idempotencyKeys.$inferSelect, requestHash: string) {
  if (row.requestHash !== requestHash) throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was used for a different request');
  if (row.statusCode === null) throw new ApiError('idempotency_in_progress', 'A request with this Idempotency-Key is still in progress; retry shortly');
  return row;
}

/**
 * A pending row is claimed before the handler runs, so two concurrent
 * retries cannot both create: the second sees the pending row and gets 409.
 * A failed request releases the key; a 2xx answer is stored and replayed.
 *
 * A replay is an answer like any other, so it needs the authorization the
 * original would need now: the route's `scope` (and, through `authorize`,
 * e.g. that a narrowed token still sees the project) is checked before the
 * stored answer is looked up; a token that lost the scope gets 403 and
 * nothing of the first answer. Keys belong to one user in one org.
 */
export function idempotent(scope: Scope, authorize?: (c: Context<AppEnv>) => Promise<void>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    const principal = c.get('principal');
    if (!key || principal.kind !== 'member') return next();
    requireScope(requireMember(c), scope);
    if (authorize) await authorize(c);
    if (key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
      throw new ApiError('validation_failed', 'Idempotency-Key must be 1-255 printable ASCII characters', { errors: [{ path: 'header.idempotency-key', message: 'invalid' }] });
    }
    const tenant = { orgId: principal.orgId, userId: principal.userId };
    const db = c.get('db');
    const path = c.req.path;
    const requestHash = await sha256Hex(`${c.req.method} ${path}\n${await c.req.text()}`);
    const where = and(eq(idempotencyKeys.orgId, principal.orgId), eq(idempotencyKeys.userId, principal.userId), eq(idempotencyKeys.key, key));

    const replay = await withTenant(db, tenant, async (tx) => {
      const [existing] = await tx.select().from(idempotencyKeys).where(where);
      if (existing && Date.now() - new Date(existing.createdAt).getTime() > KEEP_MS) {
        await tx.delete(idempotencyKeys).where(where);
      } else if (existing) {
        return answerFor(existing, requestHash);
      }
      // A concurrent first request may claim the key between our read and this
      // insert: DO NOTHING waits for it, then we answer from its row.
      const claimed = await tx.insert(idempotencyKeys)
        .values({ orgId: principal.orgId, userId: principal.userId, key, method: c.req.method, path, requestHash })
        .onConflictDoNothing().returning();
      if (claimed.length > 0) return null;
      const [winner] = await tx.select().from(idempotencyKeys).where(where);
      return answerFor(winner, requestHash);
    });
    if (replay) {
      return c.json(replay.response as object, replay.statusCode as 200, { 'idempotent-replayed': 'true' });
    }

    let stored = false;
    try {
      await next();
      if (c.res.status >= 200 && c.res.status < 300) {
        const response = await c.res.clone().json();
        await withTenant(db, tenant, (tx) => tx.update(idempotencyKeys).set({ statusCode: c.res.status, response }).where(where));
        stored = true;
      }
    } finally {
      if (!stored) await withTenant(db, tenant, (tx) => tx.delete(idempotencyKeys).where(where));
    }
  };
}
