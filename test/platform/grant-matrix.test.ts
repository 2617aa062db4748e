// The grant matrix: nobody obtains, through any route, a token or a role
// with more rights than they hold (security review, issue 16). Every
// operation in openapi.yaml that mints a token or grants or changes a role
// or membership is found from the document (a body field `role`, `scopes`,
// `user_id` or `service`, a members path, or a token in the answer); each
// has escalation attempts below, and a new such operation fails here until
// it has them. Each caller is lower-ranked or narrowed; every answer that
// granted something is checked for what it granted (scopes, projects, role)
// and for what the new token can then do.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Role, roleCeiling, roleRank, scopes as allScopes } from '../../src/tenancy/auth/scopes.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { resolveRef } from '../support/openapi-sample.js';
import { operationsOf } from '../support/sample-request.js';

const doc = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
const GRANT_FIELDS = ['role', 'scopes', 'user_id', 'service'];

function propertiesOf(schema: any): string[] {
  const s = resolveRef(doc, schema ?? {});
  if (!s) return [];
  return [...Object.keys(s.properties ?? {}), ...['anyOf', 'oneOf', 'allOf'].flatMap((k) => (s[k] ?? []).flatMap(propertiesOf))];
}

const granting = operationsOf(doc).filter((o) => {
  if (o.method === 'GET') return false;
  const body = propertiesOf(o.op.requestBody?.content?.['application/json']?.schema);
  const answers = Object.entries(o.op.responses ?? {}).filter(([code]) => code.startsWith('2'))
    .flatMap(([, r]: [string, any]) => propertiesOf(resolveRef(doc, r)?.content?.['application/json']?.schema));
  return body.some((f) => GRANT_FIELDS.includes(f)) || /\/members(\/|$)/.test(o.path) || answers.some((f) => /token$/.test(f));
}).map((o) => o.key);

interface Rights { userId: string; role: Role; scopes: string[]; projects: string[] | null; visible: string[] }
interface World {
  org: OrgFixture;
  caller: string;
  ids: Record<'admin2' | 'member' | 'viewer' | 'ownerService', string>;
  ownerService: string;
  projects: [string, string];
  group: string;
}
interface Attempt { method: string; path: string; body?: unknown }

/** Escalation attempts per operation; `self` is the caller's user id. */
const attempts: Record<string, (w: World, self: string) => Attempt[]> = {
  'POST /v1/orgs': (w) => [{ method: 'POST', path: '/v1/orgs', body: { slug: `grab-${w.org.slug}`, name: 'x', owner: { subject: 'me' } } }],
  'POST /v1/org/tokens': (w, self) => {
    const targets = [{}, { user_id: self }, { user_id: w.org.ownerId }, { user_id: w.ids.admin2 }, { user_id: w.ids.member }, { user_id: w.ids.viewer },
      { service: 'fresh-runner' }, { service: w.ownerService }];
    return targets.flatMap((t) => [{}, { scopes: [...allScopes] }, { projects: [w.projects[1]] }].map((extra) => ({
      method: 'POST', path: '/v1/org/tokens', body: { name: 'grab', ...t, ...extra },
    })));
  },
  'POST /v1/org/members': (w) => (['owner', 'admin', 'member', 'viewer'] as const).map((role, i) => ({
    method: 'POST', path: '/v1/org/members', body: { subject: `grab-${i}-${w.org.slug}`, role },
  })),
  'PATCH /v1/org/members/{user}': (w, self) => [w.ids.member, w.ids.viewer, w.ids.ownerService, self].flatMap((user) =>
    (['owner', 'admin'] as const).map((role) => ({ method: 'PATCH', path: `/v1/org/members/${user}`, body: { role } }))),
  'DELETE /v1/org/members/{user}': (w) => [w.org.ownerId, w.ids.admin2].map((user) => ({ method: 'DELETE', path: `/v1/org/members/${user}` })),
  'PUT /v1/org/groups/{group}/members/{user}': (w, self) => [{ method: 'PUT', path: `/v1/org/groups/${w.group}/members/${self}` },
    { method: 'PUT', path: `/v1/org/groups/${w.group}/members/${w.ids.member}` }],
  'DELETE /v1/org/groups/{group}/members/{user}': (w) => [{ method: 'DELETE', path: `/v1/org/groups/${w.group}/members/${w.ids.viewer}` }],
};

/** Lower-ranked or narrowed callers: a role, and what their token is narrowed to. */
const callers: { name: string; role: Role; scopes?: string[]; narrowToFirstProject?: boolean }[] = [
  { name: 'admin', role: 'admin' },
  { name: 'member', role: 'member' },
  { name: 'viewer', role: 'viewer' },
  { name: 'admin narrowed to org:admin', role: 'admin', scopes: ['org:admin', 'tokens:write'] },
  { name: 'admin narrowed to one project', role: 'admin', narrowToFirstProject: true },
  { name: 'owner narrowed to org:admin, freshness:read', role: 'owner', scopes: ['org:admin', 'freshness:read'] },
];

let env: TestEnv;
let requests = 0;
beforeAll(async () => { env = await TestEnv.start(); });
afterAll(async () => {
  console.log(`grant matrix (${env.database.kind}): ${requests} requests over ${granting.length} granting operations`);
  await env.close();
});

async function rightsOf(token: string): Promise<Rights | null> {
  const me = await env.request('GET', '/v1/org', { token });
  if (me.status !== 200) return null;
  const listed = await env.request('GET', '/v1/projects?limit=200', { token });
  const { user_id: userId, role, scopes, projects } = me.json.you;
  return { userId, role, scopes, projects, visible: listed.status === 200 ? listed.json.items.map((p: any) => p.id) : [] };
}

/** Whatever `got` holds beyond `held`, in words; empty when nothing. */
function beyond(got: Rights, held: Rights): string[] {
  const out: string[] = [];
  const extra = got.scopes.filter((s) => !held.scopes.includes(s));
  if (extra.length) out.push(`scopes ${extra.join(',')}`);
  if (roleRank[got.role] > roleRank[held.role]) out.push(`role ${got.role} over ${held.role}`);
  if (got.role === 'owner' && got.userId !== held.userId) out.push('another owner\'s token');
  if (held.projects && (!got.projects || got.projects.some((p) => !held.projects!.includes(p)))) out.push(`projects ${JSON.stringify(got.projects)}`);
  const unseen = got.visible.filter((p) => !held.visible.includes(p));
  if (unseen.length) out.push(`sees ${unseen.length} more project(s)`);
  return out;
}

async function world(caller: (typeof callers)[number]): Promise<{ w: World; token: string }> {
  const org = await env.createOrg();
  const p1 = await env.createProject(org.ownerToken, { visibility: 'org' });
  const p2 = await env.createProject(org.ownerToken, { visibility: 'private' });
  const group = await env.request('POST', '/v1/org/groups', { token: org.ownerToken, body: { name: 'g' } });
  await env.request('PATCH', `/v1/projects/${p2.slug}`, { token: org.ownerToken, body: { visibility: 'group', shared_with_groups: [group.json.id] } });
  const [admin2, member, viewer] = [await env.addMember(org, 'admin'), await env.addMember(org, 'member'), await env.addMember(org, 'viewer')];
  const ownerService = env.unique('svc');
  const svc = await env.request('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 's', service: ownerService } });
  await env.request('PATCH', `/v1/org/members/${svc.json.user_id}`, { token: org.ownerToken, body: { role: 'owner' } });
  const me = await env.addMember(org, caller.role, {
    ...(caller.scopes ? { scopes: caller.scopes } : {}), ...(caller.narrowToFirstProject ? { projects: [p1.slug] } : {}),
  });
  return {
    w: { org, caller: me.userId, ids: { admin2: admin2.userId, member: member.userId, viewer: viewer.userId, ownerService: svc.json.user_id },
      ownerService, projects: [p1.slug, p2.slug], group: group.json.id },
    token: me.token,
  };
}

describe('grant matrix', () => {
  it('finds every operation that mints or grants, and has attempts for each', () => {
    expect(granting.length).toBeGreaterThanOrEqual(6);
    expect(granting.filter((k) => !attempts[k])).toEqual([]);
  });

  for (const caller of callers) {
    it(`a ${caller.name} never ends up with more than it holds`, async () => {
      const { w, token } = await world(caller);
      const held = (await rightsOf(token))!;
      const failures: string[] = [];
      let granted = 0;
      for (const key of granting) {
        for (const attempt of attempts[key](w, w.caller)) {
          requests += 1;
          const reply = await env.request(attempt.method, attempt.path, { token, body: attempt.body });
          const what = `${key} ${JSON.stringify(attempt.body ?? {})}`;
          if (reply.status >= 500) failures.push(`${what}: ${reply.status}`);
          if (reply.status >= 300) continue;
          granted += 1;
          const minted = reply.json?.token ?? reply.json?.owner_token;
          if (minted) {
            const got = await rightsOf(minted);
            if (got) failures.push(...beyond(got, held).map((b) => `${what}: minted a token with ${b}`));
          }
          const role = reply.json?.role as Role | undefined;
          if (role && (roleRank[role] > roleRank[held.role] || roleCeiling[role].some((s) => !held.scopes.includes(s)))) {
            failures.push(`${what}: granted the role ${role} beyond ${held.role} ${held.scopes.join(',')}`);
          }
          if (held.projects && /\/members/.test(key)) failures.push(`${what}: a project-limited token changed org-wide rights`);
          // The caller itself never grows either (self-promotion, joining a group that opens more projects).
          const now = await rightsOf(token);
          if (now) failures.push(...beyond(now, held).map((b) => `${what}: the caller now has ${b}`));
        }
      }
      expect(failures).toEqual([]);
      // The matrix is not vacuous: an unnarrowed admin does get some grants through.
      if (caller.name === 'admin') expect(granted).toBeGreaterThan(5);
    });
  }
});
