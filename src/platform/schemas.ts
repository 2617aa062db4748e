// Schemas shared by every area's routes.
import { z } from '@hono/zod-openapi';
import { ApiError, ErrorCode } from './errors.js';

export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.enum(Object.keys(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
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

/** Limits of a free-form JSON object (telemetry and the like): deep or huge ones are refused before a driver or jsonb chokes on them. */
export const FREE_FORM = { maxDepth: 16, maxBytes: 64 * 1024 } as const;

/** How deep `value` nests (a scalar is 0), walked without recursion, stopping once past `limit`. */
function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, d + 1);
    if (deepest > limit) return deepest;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}

/**
 * A free-form JSON object with a depth and size limit; the refusal names the
 * field (e.g. body.telemetry). Every free-form request field uses this.
 */
export const freeFormObject = (what: string) => z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
  if (depthOf(v, FREE_FORM.maxDepth) > FREE_FORM.maxDepth) {
    ctx.addIssue({ code: 'custom', message: `${what} nests deeper than ${FREE_FORM.maxDepth} levels` });
  } else if (new TextEncoder().encode(JSON.stringify(v)).length > FREE_FORM.maxBytes) {
    ctx.addIssue({ code: 'custom', message: `${what} is over ${FREE_FORM.maxBytes} bytes as JSON` });
  }
}).openapi({ description: `${what}: any JSON object, at most ${FREE_FORM.maxDepth} levels deep and ${FREE_FORM.maxBytes} bytes` });

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

/**
 * Cursors are base64url of UTF-8 JSON: names and paths in them may be any
 * text (btoa alone throws on anything past Latin-1).
 */
export function encodeCursor(value: string | number): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export const invalidCursor = (message = 'not a cursor this API issued') =>
  new ApiError('invalid_cursor', `The cursor is ${message}; start again without one`, { errors: [{ path: 'query.cursor', message }] });

/**
 * A cursor back to what the listing put in it, checked against that
 * listing's own shape: a tampered cursor is a 422 here, never a value a
 * query or a cast could fail on later.
 */
export function decodeCursor<T>(cursor: string | undefined, shape: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  let value: unknown;
  try {
    const binary = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))));
  } catch {
    throw invalidCursor();
  }
  const parsed = shape.safeParse(value);
  if (!parsed.success) throw invalidCursor();
  return parsed.data;
}

/** Cursor parts: text the database can hold, a row id, a sequence number. */
export const CursorText = z.string().max(4096).refine((s) => !s.includes('\u0000'));
export const CursorUuid = Uuid;
export const CursorInt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-](\d{2})(:?\d{2})?)$/;

/** A timestamp as the database prints it, with every field in range, so its ::timestamptz cast cannot fail. */
export const CursorTimestamp = z.string().refine((s) => {
  const m = TIMESTAMP.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h < 24 && mi < 60 && sec < 60 && (m[9] === undefined || Number(m[9]) <= 15);
});

/** A cursor that holds JSON text (the listing encoded a tuple as a string). */
export const jsonCursor = <T>(shape: z.ZodType<T>) => CursorText.transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
}).pipe(shape);

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
