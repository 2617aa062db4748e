// PostgreSQL cannot store U+0000 in text or jsonb: a NUL that reached a query
// would fail there (as a 500, or an error that names no field). So any NUL in
// a JSON body (keys too), a query parameter or the path is refused up front, as a 422
// naming each place it was found.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.js';
import { ApiError, type FieldError } from './errors.js';

const MAX_REPORTED = 20;

/** Paths of every string (or key) holding a NUL, walked without recursion so any depth is safe. */
export function nulPaths(root: unknown, prefix: string): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[root, prefix]];
  while (stack.length && found.length < MAX_REPORTED) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) found.push(path);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}.${i}`]);
    } else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key.includes('\u0000')) found.push(`${path}.${JSON.stringify(key)}`);
        stack.push([child, `${path}.${key}`]);
      }
    }
  }
  return found;
}

export const refuseNul: MiddlewareHandler<AppEnv> = async (c, next) => {
  const errors: FieldError[] = [];
  // The decoded path too: middleware that runs before a route's own validation (Idempotency-Key) stores it.
  if (c.req.path.includes('\u0000')) errors.push({ path: 'path', message: 'must not contain NUL (U+0000)' });
  for (const [name, value] of new URL(c.req.url).searchParams) {
    if (name.includes('\u0000') || value.includes('\u0000')) errors.push({ path: `query.${name}`, message: 'must not contain NUL (U+0000)' });
  }
  if (c.req.method !== 'GET' && /^application\/(.+\+)?json/i.test(c.req.header('content-type') ?? '')) {
    // Malformed JSON is the validator's to report; only a parsed body is scanned.
    const body = await c.req.json().then((v: unknown) => v, () => undefined);
    for (const path of nulPaths(body, 'body')) errors.push({ path, message: 'must not contain NUL (U+0000)' });
  }
  if (errors.length) throw new ApiError('validation_failed', `Invalid request: ${errors.map((e) => e.path).join(', ')}`, { errors });
  await next();
};
