// A WebSocket-to-TCP proxy standing in for Neon's: each WebSocket opens one
// TCP socket to PostgreSQL and pipes binary frames both ways. Loopback only.
// It counts the connections it accepts per path (any path under /v1), and
// answers GET /stats?path=... with that count: a test gives one Worker
// request a path of its own and so counts the database connections that one
// request opened (issue 17, item 18), whatever else runs at the same time.
import { createServer } from 'node:http';
import { createConnection } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface WsProxy {
  /** Value for neonConfig.wsProxy / GATEHOUSE_WS_PROXY. */
  address: string;
  /** The database "goes away": open connections drop and new ones are closed at once, until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startWsProxy(target = { host: '127.0.0.1', port: 5432 }, port = 0): Promise<WsProxy> {
  const accepted = new Map<string, number>();
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (url.pathname !== '/stats') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: accepted.get(url.searchParams.get('path') ?? '/v1') ?? 0 }));
  });
  const server = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    if (path !== '/v1' && !path.startsWith('/v1/')) {
      socket.destroy();
      return;
    }
    accepted.set(path, (accepted.get(path) ?? 0) + 1);
    server.handleUpgrade(req, socket, head, (ws) => server.emit('connection', ws, req));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('listening', resolve);
    http.once('error', reject);
    http.listen(port, '127.0.0.1');
  });
  let down = false;
  server.on('connection', (ws: import('ws').WebSocket) => {
    if (down) {
      ws.terminate();
      return;
    }
    const socket = createConnection(target);
    const pending: Buffer[] = [];
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      for (const chunk of pending) socket.write(chunk);
      pending.length = 0;
    });
    ws.on('message', (data: Buffer) => {
      if (connected) socket.write(data);
      else pending.push(data);
    });
    socket.on('data', (chunk) => ws.readyState === ws.OPEN && ws.send(chunk));
    socket.on('close', () => ws.close());
    socket.on('error', () => ws.terminate());
    ws.on('close', () => socket.destroy());
    ws.on('error', () => socket.destroy());
  });
  const { port: actual } = http.address() as AddressInfo;
  return {
    address: `127.0.0.1:${actual}/v1`,
    cut: () => {
      down = true;
      for (const client of server.clients) client.terminate();
    },
    restore: () => { down = false; },
    close: () => new Promise((resolve) => {
      for (const client of server.clients) client.terminate();
      server.close();
      http.closeAllConnections();
      http.close(() => resolve());
    }),
  };
}
