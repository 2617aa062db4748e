// A guard on the rule "every tenant query runs through the tenant-scoped
// transaction helper": outside the few operator-side places listed here, no
// source file issues a query on a bare database handle.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const allowed: Record<string, string> = {
  'src/platform/db.ts': 'the helper itself',
  'src/platform/service-routes.ts': '/healthz runs `select 1`, touching no table',
  'src/tenancy/bootstrap.ts': 'operator-side org lookup for `npm run token`, never reached from a request',
  'src/freshness/gc.ts': 'the scheduled GC lists every live project (cron/timer), then collects each inside withTenant',
  'src/execution/claim.ts': 'the scheduled reaper lists orgs with expired leases (cron/timer), then reaps each inside withTenant',
  'src/tenancy/auth/token-lookup.ts': 'authentication: one statement, gatehouse_resolve_minted_token (migration 0009), which sets the org and drops to gatehouse_app itself before it reads; test/platform/rls.test.ts shows it under RLS',
  'src/search/embed-queue.ts': 'the scheduled embedding drain lists every live project (cron/timer), then drains each inside withTenant',
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('tenant access', () => {
  it('queries run on the transaction withTenant hands out, not on a bare database', () => {
    const bare = /\b(db|database)\s*\.\s*(select|insert|update|delete|execute|query)\s*\(|\bget\('db'\)\s*\.\s*(select|insert|update|delete|execute)\s*\(|\bexecuteNamed\(\s*(?!(tx|sp)\s*,)/;
    const offenders = sources(join(root, 'src'))
      .map((file) => relative(root, file))
      .filter((file) => !(file in allowed))
      .filter((file) => readFileSync(join(root, file), 'utf8').split('\n').some((line) => bare.test(line)));
    expect(offenders).toEqual([]);
  });

  it('the allow-list names files that exist and still need it', () => {
    for (const file of Object.keys(allowed)) {
      const text = readFileSync(join(root, file), 'utf8');
      expect(/\b(db|database|tx)\s*\.\s*(execute|transaction)\s*\(|get\('db'\)\.execute|\bexecuteNamed\(\s*db\s*,/.test(text), file).toBe(true);
    }
  });
});
