// What every request carries, and what the app is built from.
import type { Context } from 'hono';
import type { AuthConfig } from '../tenancy/auth/tokens.js';
import type { Principal } from '../tenancy/auth/principal.js';
import type { Limits } from './config.js';
import type { Database } from './db.js';
import type { Embedder } from '../search/embedder.js';
import type { RateLimiter } from './rate-limit.js';
import type { RequestLog } from './request-log.js';
import type { DocsViewer } from './docs.js';

/**
 * How a host hands the app its database. Node keeps one for the process;
 * Workers opens a Pool per request and closes it after the response.
 */
export interface DatabaseProvider {
  open(): { db: Database; close: () => Promise<void> };
}

export interface AppDeps {
  database: DatabaseProvider;
  auth: AuthConfig;
  clock: () => Date;
  limits: Limits;
  /** Embeds search queries and, when cheap, artifacts and notes (see src/search). */
  embedder: Embedder;
  /** Per-identity request budget (see rate-limit.ts); absent, nothing is limited. */
  rateLimiter?: RateLimiter;
  /** Per-address budget in front of authentication; needs clientAddress. */
  addressRateLimiter?: RateLimiter;
  /** The client's address as the host knows it (Node: the socket; Workers: CF-Connecting-IP); undefined when unknown. */
  clientAddress?: (c: Context) => string | undefined;
  /** The request log (request-log.ts); absent, nothing is logged (tests that do not look at it). */
  log?: RequestLog;
  /** Shown on /healthz and the docs page: package.json's version. */
  version?: string;
  /** The deployed commit, when known; shown on /healthz. */
  commit?: string | null;
  /**
   * Gzip dashboard pages in the app. Node sets it; a Worker must not: the
   * Workers runtime compresses responses itself, and a body Hono already
   * gzipped then arrives compressed twice (issue 17, item 16).
   */
  compressDashboard?: boolean;
  /** The API docs viewer's script (docs.ts); absent, /docs answers 404 and only /openapi.json is served. */
  docsViewer?: DocsViewer;
}

export type AppEnv = {
  Variables: {
    requestId: string;
    db: Database;
    deps: AppDeps;
    principal: Principal;
    /** The identity's RateLimit-* headers, set when its budget is spent, put on the answer. */
    rateHeaders?: Record<string, string>;
    /** Who called, for the request log: set by the authentication layers from the verified token, never the token itself. */
    caller?: { orgId: string | null; tokenId: string | null };
  };
};
