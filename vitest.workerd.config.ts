// The Worker under workerd: tests in test/workerd/ run inside the Workers
// runtime (@cloudflare/vitest-plugin) and call the real Worker entry
// (src/worker.ts, `main` in wrangler.toml), which reaches PostgreSQL through
// the Neon driver and a local WebSocket proxy started by the Node-side global
// setup. Run with `npm run test:workerd`; needs PostgreSQL on 127.0.0.1:5432.
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig, type Plugin } from 'vitest/config';
import './test/workerd/provided.js';

// The plugin's `config` hook rewrites resolve.conditions/mainFields in place
// for the Workers runtime (drops "node", adds "workerd"/"worker"/"browser").
// Vitest's own environments share that array, so `__vitest__` (the Node-side
// environment that runs globalSetup) inherits it too, and `ws` then resolves
// to its browser stub ("WebSocketServer is not a constructor"). Give
// `__vitest__` back Node's conditions, as vitest sets them
// (getDefaultResolveOptions: Vite's server conditions minus "module").
// The test files run in the `ssr` environment and keep the Workers conditions.
const nodeSideGlobalSetup: Plugin = {
  name: 'gatehouse:node-side-global-setup',
  configEnvironment: {
    order: 'post',
    handler(name, config) {
      if (name !== '__vitest__') return;
      config.resolve ??= {};
      config.resolve.conditions = ['node', 'development|production'];
      config.resolve.mainFields = [];
    },
  },
};

export default defineConfig({
  plugins: [
    // A function, not an object: the plugin calls it when its pool starts,
    // which is after globalSetup, so `inject` sees the database, proxy and key
    // that setup created (see CloudflarePoolWorker.start in the plugin).
    cloudflareTest(({ inject }) => ({
      // main, compatibility date and flags (nodejs_compat) come from here, so
      // the test runtime matches what `wrangler deploy` ships.
      wrangler: { configPath: './wrangler.toml' },
      // Nothing in wrangler.toml is remote; say so, so no remote-bindings
      // proxy session (which would need a Cloudflare login) is ever started.
      remoteBindings: false,
      miniflare: {
        // Secrets in production (wrangler secret put); plain bindings here.
        // These override wrangler.toml's [vars] of the same name.
        bindings: {
          DATABASE_URL: inject('workerdDatabaseUrl'),
          GATEHOUSE_WS_PROXY: inject('workerdWsProxy'),
          GATEHOUSE_SIGNING_KEY: inject('workerdSigningKey'),
          GATEHOUSE_ISSUER: inject('workerdIssuer'),
          GATEHOUSE_AUDIENCE: inject('workerdAudience'),
          // Quiet by default here (a line per request of every test); the
          // request-log test asks for info through the env binding itself.
          GATEHOUSE_LOG: 'off',
          // As `wrangler deploy --var GATEHOUSE_COMMIT:$(git rev-parse HEAD)` sets it.
          GATEHOUSE_COMMIT: 'workerd-test-commit',
        },
      },
    })),
    nodeSideGlobalSetup,
  ],
  test: {
    name: 'workerd',
    include: ['test/workerd/**/*.test.ts'],
    globalSetup: ['test/workerd/global-setup.ts'],
    // First Neon connection through the proxy costs ~0.7 s; workerd start and
    // module bundling a few seconds more on these 2-core machines.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
