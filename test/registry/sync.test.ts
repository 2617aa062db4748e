import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accept, text, upload } from '../support/freshness.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
let n = 0;

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
});
afterAll(() => env.close());

async function project() {
  n += 1;
  const slug = `sync-${n}`;
  await env.createProject(org.ownerToken, { slug });
  return slug;
}
const put = (p: string, body: unknown, dryRun = false, headers: Record<string, string> = {}) =>
  env.request('PUT', `/v1/projects/${p}/registry${dryRun ? '?dry_run=true' : ''}`, { token: org.ownerToken, body, headers });
const get = async (p: string) => (await env.request('GET', `/v1/projects/${p}/registry`, { token: org.ownerToken })).json;
const strip = ({ etag: _e, ...r }: any) => r;

const base = {
  unknown_partition_policy: 'reject',
  partitions: [
    { model_partition: 'opus/high', description: 'Opus', status: 'verified' },
    { model_partition: 'gpt-5/medium', description: null, status: 'unverified' },
  ],
  aliases: [{ alias: 'opus', model_partition: 'opus/high' }],
  runner_models: [{ model_partition: 'opus/high', runner: 'claude-code', runner_model: 'claude-opus-4-1', runner_effort: 'high' }],
};

describe('declarative sync', () => {
  it('a dry run returns the plan and changes nothing; applying makes the registry exactly the desired one', async () => {
    const p = await project();
    const dry = await put(p, base, true);
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ dry_run: true, applied: false });
    expect(dry.json.plan.changes.map((c: any) => c.kind).sort()).toEqual(['add_alias', 'add_partition', 'add_partition', 'add_runner_model', 'set_policy']);
    expect(strip(await get(p))).toMatchObject({ partitions: [], unknown_partition_policy: 'auto' });
    const applied = await put(p, base);
    expect(applied.json).toMatchObject({ dry_run: false, applied: true });
    const after = await get(p);
    expect(strip(after)).toEqual({ ...base, partitions: [...base.partitions].sort((a, b) => a.model_partition.localeCompare(b.model_partition)) });
    expect(applied.json.etag).toBe(after.etag);
    const again = await put(p, base, true);
    expect(again.json.plan.changes).toEqual([]);
  });

  it('refuses the whole plan when one change breaks a rule, naming it; nothing is applied', async () => {
    const p = await project();
    await put(p, base);
    const note = await text('kb/notes/a.md', 'a');
    const gate = await text('kb/gates/g.md', 'g');
    await upload(env, org.ownerToken, p, [note, gate]);
    await accept(env, org, p, 'gpt-5/medium', [[note, gate]]);
    const desired = { ...base, unknown_partition_policy: 'auto', partitions: [base.partitions[0]], runner_models: [] };
    const dry = await put(p, desired, true);
    expect(dry.json.plan.refusals).toEqual([expect.objectContaining({ reason: expect.stringMatching(/gpt-5\/medium is used by 1 acceptance event/) })]);
    const refused = await put(p, desired);
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('registry_conflict');
    const after = await get(p);
    expect(after.unknown_partition_policy).toBe('reject');
    expect(after.runner_models).toHaveLength(1);
  });

  it('refuses an inconsistent desired registry with 422 naming the field', async () => {
    const p = await project();
    const cases: [unknown, string][] = [
      [{ ...base, aliases: [{ alias: 'opus/high', model_partition: 'opus/high' }] }, 'body.aliases.0.alias'],
      [{ ...base, aliases: [...base.aliases, { alias: 'o', model_partition: 'opus' }] }, 'body.aliases.1.model_partition'],
      [{ ...base, runner_models: [{ ...base.runner_models[0], model_partition: 'missing' }] }, 'body.runner_models.0.model_partition'],
      [{ ...base, partitions: [...base.partitions, base.partitions[0]] }, 'body.partitions.2.model_partition'],
    ];
    for (const [body, path] of cases) {
      const reply = await put(p, body);
      expect(reply.status).toBe(422);
      expect(reply.json.errors.map((e: any) => e.path)).toContain(path);
    }
  });

  it('If-Match: a sync from a stale read gets 409 and changes nothing', async () => {
    const p = await project();
    await put(p, base);
    const read = await get(p);
    await env.request('PATCH', `/v1/projects/${p}/registry/partitions/${encodeURIComponent('opus/high')}`, { token: org.ownerToken, body: { description: 'changed meanwhile' } });
    const stale = await put(p, { ...base, unknown_partition_policy: 'warn' }, false, { 'if-match': read.etag });
    expect(stale.status).toBe(409);
    expect((await get(p)).unknown_partition_policy).toBe('reject');
    const fresh = await get(p);
    expect((await put(p, { ...base, unknown_partition_policy: 'warn' }, false, { 'if-match': fresh.etag })).status).toBe(200);
  });

  it('audits every applied change', async () => {
    const p = await project();
    await put(p, base);
    const audit = await env.request('GET', '/v1/org/audit?limit=200', { token: org.ownerToken });
    const mine = audit.json.items.filter((e: any) => e.action.startsWith('registry.') && e.project_id);
    expect(mine.filter((e: any) => e.after?.model_partition === 'gpt-5/medium' && e.action === 'registry.add_partition').length).toBeGreaterThan(0);
  });
});

describe('the plan predicts exactly what a sync changes', () => {
  const names = ['a', 'b', 'c', 'd/x', 'e'];
  const registryArb = fc.record({
    policy: fc.constantFrom('reject', 'auto', 'warn'),
    partitions: fc.uniqueArray(fc.record({ name: fc.constantFrom(...names), description: fc.option(fc.constantFrom('one', 'two'), { nil: null }), status: fc.constantFrom('verified', 'unverified') }), { selector: (p) => p.name, maxLength: 4 }),
    aliases: fc.array(fc.record({ alias: fc.constantFrom('al1', 'al2', 'al3'), target: fc.nat(3) }), { maxLength: 3 }),
    defaults: fc.array(fc.record({ runner: fc.constantFrom('codex', 'claude-code'), target: fc.nat(3), model: fc.constantFrom('m1', 'm2'), effort: fc.option(fc.constantFrom('low', 'high'), { nil: null }) }), { maxLength: 3 }),
  }).map((r) => {
    const parts = r.partitions.map((p) => ({ model_partition: p.name, description: p.description, status: p.status }));
    const pick = (i: number) => parts[i % Math.max(parts.length, 1)]?.model_partition;
    const aliases = new Map<string, string>();
    for (const a of r.aliases) if (parts.length) aliases.set(a.alias, pick(a.target)!);
    const defaults = new Map<string, any>();
    for (const d of r.defaults) if (parts.length) defaults.set(`${pick(d.target)}|${d.runner}`, { model_partition: pick(d.target), runner: d.runner, runner_model: d.model, runner_effort: d.effort });
    return {
      unknown_partition_policy: r.policy,
      partitions: parts,
      aliases: [...aliases].map(([alias, model_partition]) => ({ alias, model_partition })),
      runner_models: [...defaults.values()],
    };
  });

  const keyed = (r: any) => new Map<string, string>([
    ['policy', r.unknown_partition_policy],
    ...r.partitions.map((p: any) => [`partition:${p.model_partition}`, JSON.stringify([p.description, p.status])]),
    ...r.aliases.map((a: any) => [`alias:${a.alias}`, a.model_partition]),
    ...r.runner_models.map((m: any) => [`runner_model:${m.model_partition}|${m.runner}`, JSON.stringify([m.runner_model, m.runner_effort])]),
  ] as [string, string][]);
  const keyOfChange = (c: any) => {
    const e = c.to ?? c.from;
    if (c.kind === 'set_policy') return 'policy';
    if (c.kind.endsWith('partition')) return `partition:${e.model_partition}`;
    if (c.kind.endsWith('alias')) return `alias:${e.alias}`;
    return `runner_model:${e.model_partition}|${e.runner}`;
  };

  it('for random registries applied one after another', async () => {
    const p = await project();
    await fc.assert(fc.asyncProperty(registryArb, async (desired) => {
      const before = keyed(strip(await get(p)));
      const dry = await put(p, desired, true);
      expect(dry.status, dry.text).toBe(200);
      expect(dry.json.plan.refusals).toEqual([]);
      const applied = await put(p, desired);
      expect(applied.status, applied.text).toBe(200);
      const after = keyed(strip(await get(p)));
      const changed = new Set([...before.keys(), ...after.keys()].filter((k) => before.get(k) !== after.get(k)));
      const planned = dry.json.plan.changes.map(keyOfChange);
      expect(new Set(planned)).toEqual(changed);
      expect(planned.length).toBe(changed.size);
      expect(applied.json.plan).toEqual(dry.json.plan);
    }), { numRuns: 25 });
  }, 120_000);
});
