// The tenancy area's routes, mounted under /v1.
import { createRouter } from '../platform/router.js';
import { groupRoutes } from './routes/group-routes.js';
import { memberRoutes } from './routes/member-routes.js';
import { orgRoutes } from './routes/org-routes.js';
import { projectRoutes } from './routes/project-routes.js';
import { tokenRoutes } from './routes/token-routes.js';

export const tenancyRoutes = createRouter()
  .route('/', orgRoutes)
  .route('/', memberRoutes)
  .route('/', groupRoutes)
  .route('/', tokenRoutes)
  .route('/', projectRoutes);
