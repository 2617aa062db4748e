// Runs inside workerd. Calls the real Worker entry (src/worker.ts's default
// export, reached through `exports.default` as @cloudflare/vitest-plugin
// documents; `SELF` from cloudflare:test is the deprecated alias of it), so
// each request goes through worker.ts -> createApp -> Neon Pool per request.
import { env, exports } from 'cloudflare:workers';
import { loadSigningKey } from '../../src/tenancy/auth/keys.js';
import { mintToken } from '../../src/tenancy/auth/tokens.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

// The host is irrelevant (the Worker never looks at it) but Request needs one.
const ORIGIN = 'https://gatehouse.test';

export async function call(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const res = await exports.default.fetch(new Request(`${ORIGIN}${path}`, { method, headers, body }));
  const text = await res.text();
  let json: unknown = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * An operator token, minted here in workerd with the same key the Worker was
 * given (env.GATEHOUSE_SIGNING_KEY): jose's Ed25519 signing runs on workerd's
 * WebCrypto, which is part of what this suite checks.
 */
export async function operatorToken(): Promise<string> {
  const signingKey = await loadSigningKey(env.GATEHOUSE_SIGNING_KEY!);
  const auth = { issuer: env.GATEHOUSE_ISSUER!, audience: env.GATEHOUSE_AUDIENCE!, signingKey };
  const now = new Date();
  return mintToken(auth, { subject: 'operator', role: 'operator', issuedAt: now, expiresAt: new Date(now.getTime() + 3600_000) });
}

let counter = 0;
/** Slugs unique within the run (all test files share one database). */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

export interface OrgFixture {
  id: string;
  slug: string;
  ownerId: string;
  ownerToken: string;
}

export async function createOrg(operator: string, slug = unique('org')): Promise<OrgFixture> {
  const reply = await call('POST', '/v1/orgs', { token: operator, body: { slug, name: slug, owner: { subject: `${slug}-owner` } } });
  if (reply.status !== 201) throw new Error(`createOrg failed: ${reply.status} ${reply.text}`);
  return { id: reply.json.org.id, slug, ownerId: reply.json.owner.user_id, ownerToken: reply.json.owner_token };
}
