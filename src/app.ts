// The Hono app, built from explicit dependencies; it knows no host.
import { bodyLimit } from 'hono/body-limit';
import type { AppDeps } from './platform/context.js';
import { docsRoutes } from './platform/docs.js';
import { ApiError, onError, problem } from './platform/errors.js';
import { rateLimits } from './platform/rate-limit.js';
import { requestLog } from './platform/request-log.js';
import { refuseUnstorableText } from './platform/text-guard.js';
import { createRouter } from './platform/router.js';
import { serviceRoutes } from './platform/service-routes.js';
import { authenticate } from './tenancy/auth/middleware.js';
import { executionRoutes } from './execution/routes.js';
import { freshnessRoutes } from './freshness/routes.js';
import { registryAreaRoutes } from './registry/routes.js';
import { searchRoutes } from './search/routes.js';
import { tenancyRoutes } from './tenancy/routes.js';
import { uiRoutes } from './ui/routes.js';

export const API_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Gatehouse API',
    version: '1.0.0',
    description: 'The hosted review brain for markdown knowledge bases: snapshots, freshness, review jobs, the model partition registry and search, per org.',
  },
  security: [{ bearer: [] }],
};

export function createApp(deps: AppDeps) {
  const app = createRouter();

  app.use('*', async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 128) || crypto.randomUUID();
    c.set('requestId', requestId);
    c.set('deps', deps);
    const { db, close } = deps.database.open();
    c.set('db', db);
    try {
      await next();
    } finally {
      c.header('x-request-id', requestId);
      // Every answer, whatever made it (a route, the markdown bodies of stored
      // text, /docs, an error, a 404): a browser must never sniff agent-written
      // text as HTML or script (issue 16, finding 10).
      c.header('x-content-type-options', 'nosniff');
      let ctx: { waitUntil(p: Promise<unknown>): void } | undefined;
      try { ctx = c.executionCtx; } catch { ctx = undefined; }
      if (ctx) ctx.waitUntil(close());
      else await close();
    }
  });

  // Inside the first middleware, so the line has the request id; around everything else, so it sees the final status.
  app.use('*', requestLog(deps.log));

  app.use('/v1/*', bodyLimit({
    maxSize: deps.limits.maxBodyBytes,
    onError: () => { throw new ApiError('payload_too_large', `The request body is over the limit of ${deps.limits.maxBodyBytes} bytes`, { limit_bytes: deps.limits.maxBodyBytes }); },
  }));
  // Before bodies are read and tokens checked: a flood from one address is refused cheaply.
  app.use('/v1/*', rateLimits());
  app.use('/ui/*', rateLimits());
  app.use('/v1/*', authenticate);
  app.use('/v1/*', refuseUnstorableText);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A JWT minted by Gatehouse (or the configured OIDC issuer) with `iss`, `aud`, `exp`, `sub` and `org`.',
  });

  app.route('/', serviceRoutes);
  app.route('/v1', tenancyRoutes);
  app.route('/v1', freshnessRoutes);
  app.route('/v1', registryAreaRoutes);
  app.route('/v1', executionRoutes);
  app.route('/v1', searchRoutes);

  // The dashboard: plain routes (not in the OpenAPI document), its own cookie session.
  app.get('/ui/', (c) => c.redirect('/ui', 308));
  app.route('/ui', uiRoutes);

  app.doc31('/openapi.json', API_INFO);
  docsRoutes(app, deps.docsViewer);

  app.notFound((c) => problem(c, new ApiError('not_found', `No route for ${c.req.method} ${c.req.path}`)));
  app.onError(onError);
  return app;
}

export type App = ReturnType<typeof createApp>;
