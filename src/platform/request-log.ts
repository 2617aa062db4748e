// One structured line per request, on both hosts (issue 17, item 23). It
// names the caller by the neutral `caller` variable the authentication layers
// set (platform/ imports no area), and writes only what cannot carry a
// secret: no token, no header value but the user agent (debug), no body, no
// raw URL (a query string may hold anything), only the matched route pattern.
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from './context.js';

export type LogLevel = 'off' | 'info' | 'debug';

export interface RequestLog {
  level: LogLevel;
  /** Where a line goes: console.log on Workers (Workers Logs), process.stdout on Node, a sink in tests. */
  write: (line: string) => void;
}

/**
 * The pattern of the route that answered, e.g. /v1/jobs/:job: the last
 * matched handler registered for a method (middleware is registered for
 * ALL); null when only middleware matched (a 404).
 */
function routePattern(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string | null {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i].method !== 'ALL') return routes[i].path;
  return null;
}

export function requestLog(log: RequestLog | undefined): MiddlewareHandler<AppEnv> {
  if (!log) return (_c, next) => next();
  return async (c, next) => {
    if (log.level === 'off') return next();
    const time = new Date();
    const started = performance.now();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      const caller = c.get('caller');
      const line: Record<string, unknown> = {
        level: 'info', message: 'request', time: time.toISOString(), request_id: c.get('requestId'),
        method: c.req.method, route: routePattern(c), status,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        org_id: caller?.orgId ?? null, token_id: caller?.tokenId ?? null,
      };
      if (log.level === 'debug') line.user_agent = c.req.header('user-agent')?.slice(0, 200) ?? null;
      try { log.write(JSON.stringify(line)); } catch { /* a failing sink never costs the answer */ }
    }
  };
}
