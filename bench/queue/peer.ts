// The peer: pg-boss (pinned version, see package.json) on the same
// PostgreSQL server, in its own scratch database, in this process. Workers
// loop fetch (batch size 1) + complete until the queue is empty.
import { createRequire } from 'node:module';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { PG_ADMIN_URL, registerCleanup } from '../freshness/lib.js';

export interface Peer {
  boss: PgBoss;
  version: string;
  database: string;
  schema: string;
  close(): Promise<void>;
  /** The state → count of one queue's jobs, read straight from pg-boss's table. */
  states(queue: string): Promise<Record<string, number>>;
}

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => {});
  }
}

function urlFor(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  url.searchParams.set('sslmode', 'disable');
  return url.toString();
}

/**
 * A scratch database `gatehouse_bench_<pid>_pgboss`, dropped by close() and
 * on SIGINT/SIGTERM, with pg-boss installed in schema `pgboss`.
 * Supervision (maintenance) and scheduling are off: neither side runs its
 * background maintenance during the timed loops.
 */
export async function openPeer(poolSize: number): Promise<Peer> {
  const database = `gatehouse_bench_${process.pid}_pgboss`;
  const schema = 'pgboss';
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await admin(`drop database if exists "${database}" with (force)`);
  };
  let boss: PgBoss | null = null;
  let stopped = false;
  const close = async () => {
    if (boss && !stopped) {
      stopped = true;
      await boss.stop({ graceful: false, close: true, timeout: 5000 }).catch(() => {});
    }
    await drop();
  };
  registerCleanup(close);
  await admin(`drop database if exists "${database}" with (force)`);
  await admin(`create database "${database}"`);
  const url = urlFor(database);
  boss = new PgBoss({ connectionString: url, schema, max: poolSize, supervise: false, schedule: false, migrate: true });
  boss.on('error', (err) => console.error(`bench: pg-boss error: ${(err as Error).message}`));
  await boss.start();
  const version = (createRequire(import.meta.url)('pg-boss/package.json') as { version: string }).version;
  const reader = new pg.Pool({ connectionString: url, max: 1 });
  const started = boss;
  return {
    boss: started,
    version,
    database,
    schema,
    close: async () => {
      await reader.end().catch(() => {});
      await close();
    },
    states: async (queue) => {
      const { rows } = await reader.query<{ state: string; n: number }>(`select state::text as state, count(*)::int as n from ${schema}.job where name = $1 group by 1`, [queue]);
      return Object.fromEntries(rows.map((r) => [r.state, r.n]));
    },
  };
}
