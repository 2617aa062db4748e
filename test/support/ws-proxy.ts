// A WebSocket-to-TCP proxy standing in for Neon's: each WebSocket opens one
// TCP socket to PostgreSQL and pipes binary frames both ways. Loopback only.
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
  const server = new WebSocketServer({ host: '127.0.0.1', port, path: '/v1' });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  let down = false;
  server.on('connection', (ws) => {
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
  const { port: actual } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${actual}/v1`,
    cut: () => {
      down = true;
      for (const client of server.clients) client.terminate();
    },
    restore: () => { down = false; },
    close: () => new Promise((resolve) => {
      for (const client of server.clients) client.terminate();
      server.close(() => resolve());
    }),
  };
}
