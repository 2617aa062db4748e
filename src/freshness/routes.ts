// The freshness area's routes, mounted under /v1.
import { createRouter } from '../platform/router.js';
import { ackRoutes } from './routes/ack-routes.js';
import { importRoutes } from './routes/import-routes.js';
import { maintenanceRoutes } from './routes/maintenance-routes.js';
import { selectRoutes } from './routes/select-routes.js';
import { snapshotRoutes } from './routes/snapshot-routes.js';

export const freshnessRoutes = createRouter()
  .route('/', snapshotRoutes)
  .route('/', selectRoutes)
  .route('/', ackRoutes)
  .route('/', maintenanceRoutes)
  .route('/', importRoutes);
