// npm run ws-proxy: a WebSocket-to-TCP proxy on 127.0.0.1:5480 in front of the
// local PostgreSQL, so the Worker under `wrangler dev` reaches it through the
// Neon driver (set GATEHOUSE_WS_PROXY=127.0.0.1:5480/v1 in .dev.vars).
import { startWsProxy } from '../test/support/ws-proxy.js';

const port = Number(process.env.WS_PROXY_PORT || 5480);
const proxy = await startWsProxy({ host: '127.0.0.1', port: Number(process.env.PGPORT || 5432) }, port);
console.log(`ws-proxy: GATEHOUSE_WS_PROXY=${proxy.address} (to PostgreSQL on 127.0.0.1:${process.env.PGPORT || 5432}); Ctrl-C to stop`);
process.on('SIGINT', () => proxy.close().then(() => process.exit(0)));
