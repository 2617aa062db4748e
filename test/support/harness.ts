// One app over this file's database, plus the fixtures most tests need:
// orgs created the way an operator would, members with tokens per role.
import { createApp } from '../../src/app.js';
import { defaultLimits, type Limits } from '../../src/platform/config.js';
import type { AppDeps } from '../../src/platform/context.js';
import type { RateLimiter } from '../../src/platform/rate-limit.js';
import { generateSigningKeyJson, loadSigningKey } from '../../src/tenancy/auth/keys.js';
import { type AuthConfig, type ExternalIssuer, mintToken } from '../../src/tenancy/auth/tokens.js';
import { sha256Hex } from '../../src/freshness/names.js';
import { FeatureHashEmbedder } from '../../src/search/embedder.js';
import { nodeDocsViewer } from '../../src/platform/docs-viewer-node.js';
import { openTestDatabase, type TestDatabase } from './db.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  rawBody?: BodyInit;
  headers?: Record<string, string>;
}

export interface OrgFixture {
  id: string;
  slug: string;
  ownerId: string;
  ownerToken: string;
}

export interface MemberFixture {
  userId: string;
  token: string;
  tokenId: string;
}

let sharedKey: Promise<string> | undefined;

export async function testAuth(): Promise<AuthConfig> {
  sharedKey ??= generateSigningKeyJson();
  return { issuer: 'gatehouse-test', audience: 'gatehouse-test', signingKey: await loadSigningKey(await sharedKey) };
}

export class TestEnv {
  private counter = 0;
  constructor(readonly database: TestDatabase, readonly auth: AuthConfig, readonly app: ReturnType<typeof createApp>) {}

  static async start(options: { limits?: Partial<Limits>; external?: ExternalIssuer; rateLimiter?: RateLimiter; database?: TestDatabase; deps?: Partial<AppDeps> } = {}): Promise<TestEnv> {
    const database = options.database ?? await openTestDatabase();
    const auth = { ...(await testAuth()), external: options.external };
    const limits = options.limits ?? {};
    const app = createApp({ database: database.provider, auth, clock: () => new Date(), limits: { ...defaultLimits, ...limits }, embedder: new FeatureHashEmbedder(), rateLimiter: options.rateLimiter, docsViewer: nodeDocsViewer(), ...options.deps });
    return new TestEnv(database, auth, app);
  }

  async close(): Promise<void> {
    await this.database.close();
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: BodyInit | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await this.app.request(path, { method, headers, body });
    const text = await res.text();
    let json: unknown = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return { status: res.status, headers: res.headers, text, json };
  }

  operatorToken(): Promise<string> {
    const now = new Date();
    return mintToken(this.auth, { subject: 'operator', role: 'operator', issuedAt: now, expiresAt: new Date(now.getTime() + 3600_000) });
  }

  unique(prefix: string): string {
    this.counter += 1;
    return `${prefix}-${this.counter}-${Math.random().toString(36).slice(2, 7)}`;
  }

  async createOrg(slug = this.unique('org')): Promise<OrgFixture> {
    const reply = await this.request('POST', '/v1/orgs', {
      token: await this.operatorToken(),
      body: { slug, name: slug, owner: { subject: `${slug}-owner` } },
    });
    if (reply.status !== 201) throw new Error(`createOrg failed: ${reply.status} ${reply.text}`);
    return { id: reply.json.org.id, slug, ownerId: reply.json.owner.user_id, ownerToken: reply.json.owner_token };
  }

  /** Add a member with a role and mint them a token (as the org's owner). */
  async addMember(org: OrgFixture, role: 'owner' | 'admin' | 'member' | 'viewer', tokenBody: Record<string, unknown> = {}): Promise<MemberFixture> {
    // Nobody mints for an owner but that owner: a second owner is added as an admin, given a token, then promoted.
    const added = await this.request('POST', '/v1/org/members', { token: org.ownerToken, body: { subject: this.unique(role), role: role === 'owner' ? 'admin' : role } });
    if (added.status !== 201) throw new Error(`addMember failed: ${added.status} ${added.text}`);
    const minted = await this.request('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: `${role} token`, user_id: added.json.user_id, ...tokenBody } });
    if (minted.status !== 201) throw new Error(`mint failed: ${minted.status} ${minted.text}`);
    if (role === 'owner') {
      const promoted = await this.request('PATCH', `/v1/org/members/${added.json.user_id}`, { token: org.ownerToken, body: { role } });
      if (promoted.status !== 200) throw new Error(`promote failed: ${promoted.status} ${promoted.text}`);
    }
    return { userId: added.json.user_id, token: minted.json.token, tokenId: minted.json.id };
  }

  /** Upload one text to a project; returns its path and sha256. */
  async uploadText(token: string, project: string, path: string, body: string): Promise<{ path: string; sha256: string }> {
    const sha256 = await sha256Hex(new TextEncoder().encode(body));
    const reply = await this.request('POST', `/v1/projects/${project}/snapshots`, { token, body: { files: [{ path, sha256, body }] } });
    if (reply.status !== 200) throw new Error(`upload failed: ${reply.status} ${reply.text}`);
    return { path, sha256 };
  }

  async createProject(token: string, body: Record<string, unknown> = {}): Promise<any> {
    const reply = await this.request('POST', '/v1/projects', { token, body: { slug: this.unique('proj'), ...body } });
    if (reply.status !== 201) throw new Error(`createProject failed: ${reply.status} ${reply.text}`);
    return reply.json;
  }
}
