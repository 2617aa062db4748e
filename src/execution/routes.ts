// The execution area's routes, mounted under /v1.
import { createRouter } from '../platform/router.js';
import { batchRoutes } from './routes/batch-routes.js';
import { jobRoutes } from './routes/job-routes.js';
import { runnerRoutes } from './routes/runner-routes.js';

// The runner routes first: /jobs/claim must not be read as /jobs/{job}.
export const executionRoutes = createRouter()
  .route('/', batchRoutes)
  .route('/', runnerRoutes)
  .route('/', jobRoutes);
