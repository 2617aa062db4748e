// One error module: stable codes, their HTTP statuses, RFC 9457 bodies.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';

export const ErrorCode = {
  bad_request: 400,
  validation_failed: 422,
  invalid_cursor: 422,
  unauthenticated: 401,
  forbidden: 403,
  insufficient_scope: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  already_exists: 409,
  last_owner: 409,
  idempotency_key_reused: 422,
  idempotency_in_progress: 409,
  stale_baseline_revision: 409,
  unknown_partition: 422,
  lease_lost: 409,
  job_finalized: 409,
  registry_conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ErrorCode;

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

const titles: Record<ErrorCode, string> = {
  bad_request: 'Bad request',
  validation_failed: 'Validation failed',
  invalid_cursor: 'Invalid cursor',
  unauthenticated: 'Unauthenticated',
  forbidden: 'Forbidden',
  insufficient_scope: 'Insufficient scope',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  conflict: 'Conflict',
  already_exists: 'Already exists',
  last_owner: 'Last owner',
  idempotency_key_reused: 'Idempotency key reused',
  idempotency_in_progress: 'Idempotent request in progress',
  stale_baseline_revision: 'Stale baseline revision',
  unknown_partition: 'Unknown model partition',
  lease_lost: 'Lease lost',
  job_finalized: 'Job finalized',
  registry_conflict: 'Registry conflict',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  rate_limited: 'Too many requests',
  internal: 'Internal error',
  unavailable: 'Service unavailable',
};

/** Throw this anywhere below a route; `onError` turns it into problem+json. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    super(detail);
  }
  get status(): number {
    return ErrorCode[this.code];
  }
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);

/** The RFC 9457 body of an error: a whole response's, or one entry's of a batch answer. */
export function problemBody(err: ApiError, instance?: string, requestId?: string): Problem {
  const { headers: _headers, ...extra } = err.extra;
  return {
    type: `urn:gatehouse:problem:${err.code}`,
    title: titles[err.code],
    status: err.status,
    code: err.code,
    detail: err.detail,
    ...(instance ? { instance } : {}),
    ...(requestId ? { request_id: requestId } : {}),
    ...extra,
  };
}

export function problem(c: Context, err: ApiError): Response {
  const { headers } = err.extra;
  const body = problemBody(err, new URL(c.req.url).pathname, c.get('requestId' as never) as string | undefined);
  return new Response(JSON.stringify(body), {
    status: err.status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

export function zodFieldErrors(error: ZodError, prefix: string): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

/** Validator targets, named as a client thinks of them. */
const targetNames: Record<string, string> = { json: 'body', param: 'path', query: 'query', header: 'header' };

/** zod-openapi `defaultHook`: a request that fails its schema never reaches a handler. */
export function validationHook(
  result: { success: boolean; error?: ZodError; target?: string },
  c: Context,
): Response | undefined {
  if (result.success || !result.error) return undefined;
  const errors = zodFieldErrors(result.error, targetNames[result.target ?? ''] ?? result.target ?? '');
  const where = errors.map((e) => e.path).join(', ');
  return problem(c, new ApiError('validation_failed', `Invalid request: ${where}`, { errors }));
}

/** Postgres error codes that mean "the caller asked for something impossible", not a bug. */
function fromDatabase(err: unknown): ApiError | undefined {
  const cause = (err as { cause?: unknown })?.cause ?? err;
  const code = (cause as { code?: string })?.code;
  if (code === '23505') return new ApiError('already_exists', 'A resource with the same unique key already exists');
  if (code === '23503') return new ApiError('conflict', 'The change would break a reference between resources');
  if (code === '22P02' || code === '22021' || code === '22001' || code === '22P05' || code === '22003') return new ApiError('bad_request', 'A value could not be stored as given');
  return undefined;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const CONNECTION_MESSAGE = /Connection terminated|connection (closed|refused|ended|lost)|not queryable|terminating connection|WebSocket|socket hang up|Network connection lost/i;

/**
 * Whether an error means "the database could not be reached or dropped us",
 * anywhere along its cause chain: drizzle wraps driver errors, and when a
 * connection dies mid-transaction the error that surfaces is the failed
 * ROLLBACK's, whose cause is the driver's "not queryable".
 */
export function isConnectionFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (CONNECTION_CODES.has(code) || CONNECTION_MESSAGE.test(String((e as Error).message ?? ''))) return true;
  }
  return false;
}

export function onError(err: unknown, c: Context): Response {
  if (err instanceof ApiError) return problem(c, err);
  if (err instanceof HTTPException) {
    const status = err.status;
    const code: ErrorCode = status === 413 ? 'payload_too_large'
      : status === 401 ? 'unauthenticated'
        : status === 404 ? 'not_found'
          : status === 415 ? 'unsupported_media_type'
            : status >= 500 ? 'internal' : 'bad_request';
    // The validator's own refusals (malformed JSON) are about the body as a whole.
    const errors = code === 'bad_request' ? [{ path: 'body', message: err.message || titles[code] }] : undefined;
    return problem(c, new ApiError(code, err.message || titles[code], errors ? { errors } : {}));
  }
  const mapped = fromDatabase(err);
  if (mapped) return problem(c, mapped);
  if (isConnectionFailure(err)) {
    return problem(c, new ApiError('unavailable', 'The database is unavailable; retry shortly', { headers: { 'retry-after': '1' } }));
  }
  const causes: string[] = [];
  for (let e: unknown = (err as { cause?: unknown })?.cause, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) causes.push(String((e as Error).message ?? e));
  console.error(JSON.stringify({ level: 'error', request_id: c.get('requestId' as never), message: String((err as Error)?.message ?? err), causes }));
  return problem(c, new ApiError('internal', 'An internal error occurred'));
}
