// PostgreSQL for tests: a template database migrated once per run, and a
// fresh copy of it per test file (CREATE DATABASE ... TEMPLATE is fast).
import pg from 'pg';

export const PG_ADMIN_URL = process.env.GATEHOUSE_TEST_PG_URL || 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

export function databaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  url.searchParams.set('sslmode', 'disable');
  return url.toString();
}

export async function adminQuery(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const res = await client.query(`select 1 from pg_available_extensions where name = 'vector'`);
    return res.rowCount === 1;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function createDatabaseFrom(template: string, name: string): Promise<void> {
  await adminQuery(`create database "${name}" template "${template}"`);
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`drop database if exists "${name}" with (force)`);
}
