// Workers entry: Neon through @neondatabase/serverless, a Pool per request
// (closed with waitUntil), configuration from wrangler.toml vars and secrets.
import type { ExecutionContext } from 'hono';
import { createApp } from './app.js';
import { ConfigError, externalIssuer, readConfig } from './platform/config.js';
import { ApiError, problemBody } from './platform/errors.js';
import { type AssetsBinding, workerDocsViewer } from './platform/docs-viewer-worker.js';
import { runScheduledMaintenance } from './maintenance.js';
import { rateLimitersFor, type WorkersRateLimitBinding } from './platform/rate-limit.js';
import { type Embedder, FeatureHashEmbedder, WorkersAiEmbedder } from './search/embedder.js';
import { neonPerRequest, neonPool } from './platform/drivers/neon.js';
import { loadSigningKey } from './tenancy/auth/keys.js';
import type { AuthConfig } from './tenancy/auth/tokens.js';

export interface WorkerEnv {
  DATABASE_URL: string;
  GATEHOUSE_SIGNING_KEY: string;
  GATEHOUSE_ISSUER?: string;
  GATEHOUSE_AUDIENCE?: string;
  GATEHOUSE_OIDC_ISSUER?: string;
  GATEHOUSE_OIDC_JWKS_URL?: string;
  GATEHOUSE_OIDC_AUDIENCE?: string;
  GATEHOUSE_OIDC_ALGORITHMS?: string;
  GATEHOUSE_MAX_BODY_BYTES?: string;
  /** off, info (default) or debug: the request log, one line per request to Workers Logs. */
  GATEHOUSE_LOG?: string;
  /** The deployed commit (wrangler deploy --var GATEHOUSE_COMMIT:$(git rev-parse HEAD)); shown on /healthz. */
  GATEHOUSE_COMMIT?: string;
  /** The version metadata binding, when wrangler.toml has [version_metadata]: its tag stands in for the commit. */
  CF_VERSION_METADATA?: { id?: string; tag?: string };
  /** Static assets ([assets] in wrangler.toml): the API docs viewer's bundle. */
  ASSETS?: AssetsBinding;
  /** Local development and tests only: host:port/path of a WebSocket-to-TCP proxy in front of PostgreSQL. */
  GATEHOUSE_WS_PROXY?: string;
  /** The Workers AI binding, when configured: search embeds with it. */
  AI?: unknown;
  /** The Workers Rate Limiting bindings ([[ratelimits]] in wrangler.toml), per identity and per address; their limit and period repeated as vars for the headers. */
  RATE_LIMITER?: WorkersRateLimitBinding;
  ADDRESS_RATE_LIMITER?: WorkersRateLimitBinding;
  GATEHOUSE_RATE_LIMIT?: string;
  GATEHOUSE_RATE_LIMIT_PERIOD_SECONDS?: string;
  GATEHOUSE_ADDRESS_RATE_LIMIT?: string;
  GATEHOUSE_ADDRESS_RATE_LIMIT_PERIOD_SECONDS?: string;
}

type App = ReturnType<typeof createApp>;

/** Workers AI when the Worker has the binding ([ai] in wrangler.toml); else the offline lexical embedder. */
function embedderFor(env: WorkerEnv): Embedder {
  return env.AI ? new WorkersAiEmbedder(env.AI as never) : new FeatureHashEmbedder();
}

// The app is built once per isolate; it holds no request state, only config.
let cached: { key: string; app: Promise<App> } | undefined;

async function build(env: WorkerEnv): Promise<App> {
  if (!env.DATABASE_URL) throw new ConfigError('DATABASE_URL', 'DATABASE_URL is not set (wrangler secret put DATABASE_URL)');
  if (!env.GATEHOUSE_SIGNING_KEY) throw new ConfigError('GATEHOUSE_SIGNING_KEY', 'GATEHOUSE_SIGNING_KEY is not set (wrangler secret put GATEHOUSE_SIGNING_KEY)');
  // The same reader as Node's: a setting Node refuses to start with, the Worker refuses too (see fetch below).
  const config = readConfig(env as unknown as Record<string, unknown>);
  const signingKey = await loadSigningKey(env.GATEHOUSE_SIGNING_KEY).catch((err: Error) => {
    throw new ConfigError('GATEHOUSE_SIGNING_KEY', `GATEHOUSE_SIGNING_KEY is not a usable private JWK: ${err.message}`);
  });
  const auth: AuthConfig = { issuer: config.issuer, audience: config.audience, signingKey };
  if (config.oidc) auth.external = externalIssuer(config.oidc);
  const limiters = rateLimitersFor(config.rateLimits, { identity: env.RATE_LIMITER, address: env.ADDRESS_RATE_LIMITER });
  return createApp({
    database: neonPerRequest({ connectionString: env.DATABASE_URL, wsProxy: env.GATEHOUSE_WS_PROXY }),
    auth,
    clock: () => new Date(),
    limits: config.limits,
    version: config.version,
    commit: config.commit ?? env.CF_VERSION_METADATA?.tag ?? null,
    embedder: embedderFor(env),
    docsViewer: workerDocsViewer(env.ASSETS),
    rateLimiter: limiters.identity,
    addressRateLimiter: limiters.address,
    // Cloudflare sets CF-Connecting-IP itself (a client cannot choose it); absent outside Cloudflare, then no address budget.
    clientAddress: (c) => c.req.header('cf-connecting-ip') || undefined,
    // console.log is what Workers Logs (and wrangler tail) collect.
    log: { level: config.logLevel, write: (line) => console.log(line) },
  });
}

function appFor(env: WorkerEnv): Promise<App> {
  // Every var and secret: any change of configuration builds the app anew.
  const key = JSON.stringify(Object.entries(env).filter(([, v]) => typeof v === 'string').sort(([a], [b]) => (a < b ? -1 : 1)));
  if (!cached || cached.key !== key) {
    const app = build(env);
    cached = { key, app };
    app.catch(() => { if (cached?.app === app) cached = undefined; });
  }
  return cached.app;
}

/**
 * A Worker cannot refuse to start: with a setting that cannot work, every
 * request answers 503 problem+json naming it (and the log says it), rather
 * than the Worker running without, say, the OIDC issuer it was given.
 */
function misconfigured(err: ConfigError, request: Request): Response {
  console.error(JSON.stringify({ level: 'error', message: `gatehouse is misconfigured: ${err.message}`, variable: err.variable }));
  const body = problemBody(new ApiError('unavailable', `The service is misconfigured: ${err.message}`, { misconfigured: err.variable }), new URL(request.url).pathname);
  return new Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/problem+json', 'retry-after': '60', 'x-content-type-options': 'nosniff' } });
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let app: App;
    try {
      app = await appFor(env);
    } catch (err) {
      if (err instanceof ConfigError) return misconfigured(err, request);
      throw err;
    }
    return app.fetch(request, env, ctx);
  },

  /** The cron trigger (wrangler.toml [triggers]): lease reaper and snapshot GC. */
  async scheduled(_controller: unknown, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const { pool, db } = neonPool({ connectionString: env.DATABASE_URL, wsProxy: env.GATEHOUSE_WS_PROXY });
    try {
      const result = await runScheduledMaintenance(db, new Date(), embedderFor(env));
      console.log(JSON.stringify({ level: 'info', message: 'scheduled maintenance', ...result }));
    } finally {
      ctx.waitUntil(pool.end());
    }
  },
};
