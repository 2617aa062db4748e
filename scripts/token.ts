// npm run token -- [options]: mint a token with the server's own key.
// Runs with the server's database access (operator-side), like migrations.
import { parseArgs } from 'node:util';
import { isScope, type Scope } from '../src/tenancy/auth/scopes.js';
import { mintToken } from '../src/tenancy/auth/tokens.js';
import { findOrgId, mintForMember } from '../src/tenancy/bootstrap.js';
import { holderOf } from '../src/platform/data-dir-lock.js';
import { nodeAuthConfig, openNodeDatabase, readNodeConfig } from '../src/platform/node-host.js';

const usage = `Mint a Gatehouse token with the server's signing key.

Usage:
  npm run token -- [--org local] [--subject owner | --user <uuid>] [--scopes a,b] [--days 30] [--name text]
  npm run token -- --operator [--hours 1]

Options:
  --org <slug|id>     Org of the member (default: local)
  --subject <name>    A Gatehouse-local member's subject (default: owner)
  --user <uuid>       A member's user id instead of --subject
  --scopes <list>     Comma-separated scopes, within the member's role (default: all the role allows)
  --days <n>          Lifetime in days (default: 30)
  --name <text>       Name shown in the token list (default: "cli")
  --operator          An operator token (creates orgs, sees no tenant data); not recorded, keep it short-lived
  --hours <n>         Operator token lifetime in hours (default: 1)

Uses the same environment as npm start (GATEHOUSE_DATA_DIR, DATABASE_URL, GATEHOUSE_SIGNING_KEY, GATEHOUSE_ISSUER, GATEHOUSE_AUDIENCE).
The token is printed on standard output.`;

async function main() {
  const { values } = parseArgs({
    options: {
      org: { type: 'string', default: 'local' },
      subject: { type: 'string' },
      user: { type: 'string' },
      scopes: { type: 'string' },
      days: { type: 'string', default: '30' },
      name: { type: 'string', default: 'cli' },
      operator: { type: 'boolean', default: false },
      hours: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const config = readNodeConfig();
  const auth = await nodeAuthConfig(config);
  const now = new Date();
  if (values.operator) {
    const hours = Number(values.hours);
    if (!Number.isFinite(hours) || hours <= 0 || hours > 24) throw new Error('--hours must be between 0 and 24');
    console.log(await mintToken(auth, { subject: 'operator', role: 'operator', issuedAt: now, expiresAt: new Date(now.getTime() + hours * 3600_000) }));
    return;
  }
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error('--days must be a whole number from 1 to 3650');
  let scopes: Scope[] | undefined;
  if (values.scopes) {
    const list = values.scopes.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = list.filter((s) => !isScope(s));
    if (unknown.length) throw new Error(`Unknown scopes: ${unknown.join(', ')}`);
    scopes = list as Scope[];
  }
  const holder = config.databaseUrl ? null : holderOf(config.dataDir);
  if (holder) {
    throw new Error(`the server (pid ${holder}) holds the embedded database in ${config.dataDir}. Stop it first, or mint through the API while it runs:
  curl -X POST -H "Authorization: Bearer $(cat ${config.dataDir}/local-owner.token)" -H 'content-type: application/json' \\
       -d '{"name":"ci","scopes":["freshness:read"]}' http://127.0.0.1:${config.port}/v1/org/tokens`);
  }
  const database = await openNodeDatabase(config);
  try {
    const orgId = await findOrgId(database.db, values.org!);
    if (!orgId) throw new Error(`No org "${values.org}"`);
    const minted = await mintForMember(database.db, auth, { orgId, subject: values.subject, userId: values.user, scopes, days, name: values.name! }, now);
    console.error(`token ${minted.id} expires ${minted.expiresAt.toISOString()}`);
    console.log(minted.token);
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  console.error(`token: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
