// Every area declares its routes on one of these, so validation errors take
// the same problem+json shape everywhere.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context.js';
import { validationHook } from './errors.js';
import { problemResponse } from './schemas.js';

export function createRouter(): OpenAPIHono<AppEnv> {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
  // A route with a JSON body answers 415 to any other content type (the
  // validator's doing, not the route's), so its document entry says so too.
  const declare = router.openapi.bind(router);
  router.openapi = ((route: Parameters<typeof declare>[0], ...rest: unknown[]) => {
    const documented = route.request?.body && !route.responses[415]
      ? { ...route, responses: { ...route.responses, 415: problemResponse(415) } }
      : route;
    return (declare as (...args: unknown[]) => unknown)(documented, ...rest);
  }) as typeof router.openapi;
  return router;
}
