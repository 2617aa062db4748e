// Schemas shared by every area's routes.
import { z } from '@hono/zod-openapi';
import { ApiError, type ErrorCode } from './errors.js';

export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
  instance: z.string().optional(),
  request_id: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
}).openapi('Problem');

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };

const statusText: Record<number, string> = {
  400: 'Malformed request',
  401: 'No token, or a token that is invalid, expired or revoked',
  403: 'The token may not do this',
  404: 'Not found, or not visible to the caller',
  409: 'Conflict with the current state',
  413: 'Request body over the limit',
  415: 'The body is not `application/json`',
  422: 'Validation failed; `errors` names each bad field',
  429: 'Rate limited',
};

/** The problem responses a route may give, for its OpenAPI entry. */
export function problems(...statuses: number[]) {
  const all = [...new Set([400, 401, 403, 413, 422, 429, ...statuses])].sort();
  return Object.fromEntries(all.map((s) => [s, problemResponse(s)]));
}

/** One problem response for a route's OpenAPI entry. */
export const problemResponse = (status: number) => ({ description: statusText[status] ?? 'Error', content: problemContent });

export const jsonContent = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { required: true, content: jsonContent(schema) },
});

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
export const Slug = z.string().regex(SLUG_PATTERN, 'lowercase letters, digits and inner hyphens, 1-64 characters');
export const Uuid = z.string().uuid();
export const Timestamp = z.string().openapi({ format: 'date-time' });

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Page size (1-200)' }),
  cursor: z.string().max(512).optional().openapi({ description: 'Opaque cursor from the previous page\'s `next_cursor`' }),
});

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

export function encodeCursor(value: string | number): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeCursor<T extends string | number>(cursor: string | undefined, kind: 'string' | 'number'): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value = JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/'))) as unknown;
    // Only what encodeCursor could have made: a safe integer, or a string the database can hold.
    if (kind === 'number' && Number.isSafeInteger(value)) return value as T;
    if (kind === 'string' && typeof value === 'string' && !value.includes('\u0000')) return value as T;
  } catch { /* fall through */ }
  throw new ApiError('validation_failed', 'The cursor is not one this API issued', { errors: [{ path: 'query.cursor', message: 'invalid cursor' }] });
}

export function page<T>(rows: T[], limit: number, cursorOf: (row: T) => string | number) {
  const items = rows.slice(0, limit);
  return { items, next_cursor: rows.length > limit ? encodeCursor(cursorOf(items[items.length - 1])) : null };
}

export type { ErrorCode };

/** Database timestamps (text from every driver) as ISO 8601 in UTC. */
export function iso(value: string | Date): string;
export function iso(value: string | Date | null): string | null;
export function iso(value: string | Date | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}
