// PostgreSQL cannot store U+0000 in text or jsonb, nor a lone UTF-16
// surrogate (JSON's "\ud800" escapes make one; it has no UTF-8 form, so one
// driver refuses it and another silently stores U+FFFD instead). Text like
// that would fail in a query (as a 500, or an error naming no field) or be
// stored altered. So it is refused up front, in a JSON body (keys too), a
// query parameter or the path, as a 422 naming each place it was found.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.js';
import { ApiError, type FieldError } from './errors.js';

const MAX_REPORTED = 20;

const storable = (s: string) => !s.includes('\u0000') && s.isWellFormed();
const MESSAGE = 'must be text UTF-8 can hold: without NUL (U+0000) or lone surrogates';

/** Paths of every string (or key) the database cannot store as is, walked without recursion so any depth is safe. */
export function unstorablePaths(root: unknown, prefix: string): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[root, prefix]];
  while (stack.length && found.length < MAX_REPORTED) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (!storable(value)) found.push(path);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}.${i}`]);
    } else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (!storable(key)) found.push(`${path}.${JSON.stringify(key)}`);
        stack.push([child, `${path}.${key}`]);
      }
    }
  }
  return found;
}

export const refuseUnstorableText: MiddlewareHandler<AppEnv> = async (c, next) => {
  const errors: FieldError[] = [];
  // The decoded path too: middleware that runs before a route's own validation (Idempotency-Key) stores it.
  if (!storable(c.req.path)) errors.push({ path: 'path', message: MESSAGE });
  for (const [name, value] of new URL(c.req.url).searchParams) {
    if (!storable(name) || !storable(value)) errors.push({ path: `query.${name}`, message: MESSAGE });
  }
  if (c.req.method !== 'GET' && /^application\/(.+\+)?json/i.test(c.req.header('content-type') ?? '')) {
    // Malformed JSON is the validator's to report; only a parsed body is scanned.
    const body = await c.req.json().then((v: unknown) => v, () => undefined);
    for (const path of unstorablePaths(body, 'body')) errors.push({ path, message: MESSAGE });
  }
  if (errors.length) throw new ApiError('validation_failed', `Invalid request: ${errors.map((e) => e.path).join(', ')}`, { errors });
  await next();
};
