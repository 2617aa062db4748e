// Transactions over a connection pool that always give their connection back.
//
// drizzle's pooled `transaction` sends BEGIN before its try/finally: when
// BEGIN fails (the pool handed out a connection the server had just dropped,
// as after a restart), the client is never released, and each such fault
// leaks one connection until the pool is empty and every request waits
// forever. So each transaction takes its own client here, runs drizzle's
// transaction on that one client (drizzle then neither acquires nor
// releases), and releases it in every case; a client whose connection
// failed is destroyed, not reused.
import { isConnectionFailure } from '../errors.js';
import type { Database } from '../db.js';

export interface PoolClientLike { release(destroy?: Error | boolean): void }
export interface PoolLike<C extends PoolClientLike> { connect(): Promise<C> }

export function releasingTransactions<C extends PoolClientLike>(db: Database, pool: PoolLike<C>, onClient: (client: C) => Database): Database {
  const transaction = (async (fn: Parameters<Database['transaction']>[0], config?: Parameters<Database['transaction']>[1]) => {
    const client = await pool.connect();
    let failure: unknown;
    try {
      return await onClient(client).transaction(fn, config);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      client.release(failure !== undefined && isConnectionFailure(failure) ? (failure as Error) : undefined);
    }
  }) as Database['transaction'];
  return Object.assign(db, { transaction });
}
