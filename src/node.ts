// Node entry (`npm start`): the embedded default (PGlite in GATEHOUSE_DATA_DIR)
// or PostgreSQL from DATABASE_URL; migrates, creates the `local` org on first
// start, and serves the app.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { runScheduledMaintenance } from './maintenance.js';
import { FeatureHashEmbedder } from './search/embedder.js';
import { nodeDocsViewer } from './platform/docs-viewer-node.js';
import { rateLimitersFor } from './platform/rate-limit.js';
import { nodeAuthConfig, nodeClientAddress, nodeRequestLog, openNodeDatabase, readNodeConfig } from './platform/node-host.js';
import { ensureLocalOrg } from './tenancy/bootstrap.js';

async function main() {
  const config = readNodeConfig();
  const auth = await nodeAuthConfig(config);
  const database = await openNodeDatabase(config);
  const created = await ensureLocalOrg(database.db, auth, new Date());
  const tokenFile = join(config.dataDir, 'local-owner.token');
  if (created) {
    await writeFile(tokenFile, `${created.token}\n`, { mode: 0o600 });
    console.log(`gatehouse: created org "local" with an owner; the owner's token is in ${tokenFile}`);
  }
  const embedder = new FeatureHashEmbedder();
  const limiters = rateLimitersFor(config.rateLimits);
  const app = createApp({
    database: database.provider, auth, clock: () => new Date(), limits: config.limits, embedder, version: config.version, commit: config.commit,
    rateLimiter: limiters.identity, addressRateLimiter: limiters.address, clientAddress: nodeClientAddress,
    log: nodeRequestLog(config),
    // No runtime compresses for @hono/node-server: the dashboard gzips its own pages.
    compressDashboard: true,
    docsViewer: nodeDocsViewer(),
  });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    const base = `http://${config.host}:${info.port}`;
    console.log(`gatehouse: serving on ${base} (database: ${database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL from DATABASE_URL'})`);
    console.log(`gatehouse: API docs at ${base}/docs; try: curl -H "Authorization: Bearer $(cat ${tokenFile})" ${base}/v1/org`);
    console.log('gatehouse: mint more tokens with: npm run token -- --help');
  });
  // Scheduled maintenance, as the Workers cron trigger does it.
  const every = Number(process.env.GATEHOUSE_MAINTENANCE_INTERVAL_SECONDS ?? 300);
  const gcTimer = every > 0 ? setInterval(() => {
    runScheduledMaintenance(database.db, new Date(), embedder)
      .then((r) => (r.reaped > 0 || r.gc.snapshots > 0) && console.log(`gatehouse: maintenance requeued ${r.reaped} expired leases, collected ${r.gc.snapshots} snapshots (${r.gc.bytes} bytes)`))
      .catch((err) => console.error(`gatehouse: scheduled maintenance failed: ${err instanceof Error ? err.message : String(err)}`));
  }, every * 1000) : undefined;
  gcTimer?.unref();
  const stop = () => {
    if (gcTimer) clearInterval(gcTimer);
    server.close(async () => {
      await database.close();
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`gatehouse: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
