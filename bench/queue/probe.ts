// Counters for the queue benchmark's breakdown: how many SQL statements the
// Node side sends (every pg.Client.query, from the app's pool and from
// pg-boss's, which share the same `pg` module here), and how much CPU the
// PostgreSQL backends of the benchmark's databases and this Node process
// use while one side runs.
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';

// ---------------------------------------------------------------- statements

let statements = 0;
let installed = false;

/**
 * Count every statement sent through node-postgres. BEGIN, SET, COMMIT and
 * SAVEPOINT count: each is one round trip to the server. Idempotent.
 */
export function countStatements(): void {
  if (installed) return;
  installed = true;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    statements += 1;
    return original.apply(this, args);
  };
}

export const statementCount = () => statements;

// ---------------------------------------------------------------- CPU

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of one process, in ticks; null when it is gone or unreadable. */
function ticksOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state (field 3 of stat); utime and stime are fields 14 and 15.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/**
 * The server processes (backends) serving some databases, found through
 * pg_stat_activity. Only a server on this machine can be sampled; its
 * /proc entries are readable here. Other users' databases on the same
 * server are not counted, nor are PostgreSQL's shared background processes
 * (WAL writer, checkpointer, autovacuum).
 */
async function backendTicks(adminUrl: string, databases: string[]): Promise<Map<number, number> | null> {
  const host = new URL(adminUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host) || !existsSync('/proc/self/stat')) return null;
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = any($1::text[])', [databases]);
    const ticks = new Map<number, number>();
    for (const { pid } of rows) {
      const t = ticksOf(pid);
      if (t !== null) ticks.set(pid, t);
    }
    return ticks.size > 0 ? ticks : null;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface CpuSample { pg: Map<number, number> | null; node: NodeJS.CpuUsage; wall: number }

export async function cpuSample(adminUrl: string, databases: string[]): Promise<CpuSample> {
  return { pg: await backendTicks(adminUrl, databases).catch(() => null), node: process.cpuUsage(), wall: performance.now() };
}

/**
 * CPU seconds used since `start`: PostgreSQL (the backends serving the given
 * databases; one that connected in between counts from zero, one that
 * disconnected is lost) and this Node process (app server, runners and
 * drivers together, all threads).
 */
export async function cpuSince(start: CpuSample, adminUrl: string, databases: string[]): Promise<{ pgSeconds: number | null; nodeSeconds: number; wallSeconds: number }> {
  const node = process.cpuUsage(start.node);
  const wall = performance.now();
  const end = await backendTicks(adminUrl, databases).catch(() => null);
  let pgSeconds: number | null = null;
  if (start.pg && end) {
    let ticks = 0;
    for (const [pid, t] of end) ticks += t - (start.pg.get(pid) ?? 0);
    pgSeconds = ticks / TICKS_PER_SECOND;
  }
  return { pgSeconds, nodeSeconds: (node.user + node.system) / 1e6, wallSeconds: (wall - start.wall) / 1000 };
}
