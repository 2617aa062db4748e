// The registry area's routes, mounted under /v1.
import { createRouter } from '../platform/router.js';
import { entryRoutes } from './routes/entry-routes.js';
import { registryRoutes } from './routes/registry-routes.js';

export const registryAreaRoutes = createRouter()
  .route('/', registryRoutes)
  .route('/', entryRoutes);
