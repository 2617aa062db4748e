// Neon's serverless driver: the Workers host, and PostgreSQL in tests through
// a local WebSocket proxy. A WebSocket Pool (not neon-http) so interactive
// transactions work.
import { Pool, type PoolClient, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';
import type { DatabaseProvider } from '../context.js';
import { type Database, schema } from '../db.js';
import { releasingTransactions } from './pooled-transactions.js';

export interface NeonOptions {
  connectionString: string;
  /** host:port/path of a WebSocket-to-TCP proxy standing in for Neon's (local runs). */
  wsProxy?: string;
  /** Node has no global WebSocket before 22; pass `ws` there. */
  webSocketConstructor?: unknown;
  max?: number;
}

export function configureNeon(options: NeonOptions): void {
  if (options.wsProxy) {
    const proxy = options.wsProxy;
    neonConfig.wsProxy = () => proxy;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  if (options.webSocketConstructor) neonConfig.webSocketConstructor = options.webSocketConstructor as typeof WebSocket;
}

export function neonPool(options: NeonOptions): { pool: Pool; db: Database } {
  configureNeon(options);
  const pool = new Pool({ connectionString: options.connectionString, max: options.max ?? 10 });
  // An idle connection the server drops (restart, failover, admin kill) must
  // not take the process down; the pool replaces it on the next query.
  const lost = (err: Error) => console.error(JSON.stringify({ level: 'warn', message: `database connection lost: ${err.message}` }));
  pool.on('error', lost);
  // A connection that dies while checked out (mid-transaction, between two
  // statements) emits 'error' on its client, not the pool; unheard, that
  // would be an uncaught exception. The request in flight still fails (503).
  pool.on('connect', (client: { on(event: 'error', fn: (err: Error) => void): void }) => client.on('error', lost));
  const db = drizzle({ client: pool, schema }) as unknown as Database;
  // No schema on the per-transaction instance: building its relational config costs 0.3 ms, and tenant code never uses it.
  return { pool, db: releasingTransactions(db, pool, (client: PoolClient) => drizzle({ client }) as unknown as Database) };
}

/** Workers: a Pool per request, ended after the response (ctx.waitUntil). */
export function neonPerRequest(options: NeonOptions): DatabaseProvider {
  return {
    open() {
      const { pool, db } = neonPool(options);
      return { db, close: () => pool.end() };
    },
  };
}

/** Node: one Pool for the process. */
export function neonShared(options: NeonOptions): DatabaseProvider & { end(): Promise<void>; db: Database } {
  const { pool, db } = neonPool(options);
  return { db, open: () => ({ db, close: async () => {} }), end: () => pool.end() };
}
