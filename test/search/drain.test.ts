// Search catches up with new work itself (the offline embedder is cheap) but
// no longer pays for a full sweep of the project when nothing is new: only
// the newest acceptances and artifacts are checked, the backlog is the
// scheduled drain's.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projects } from '../../drizzle/schema.js';
import { rowsOf, type Tx, withTenant } from '../../src/platform/db.js';
import type { ProjectRow } from '../../src/tenancy/projects.js';
import { drainIfRecent, drainProject } from '../../src/search/embed-queue.js';
import { FeatureHashEmbedder } from '../../src/search/embedder.js';
import { accept, text, upload, type Text } from '../support/freshness.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
let gate: Text;
const embedder = new FeatureHashEmbedder();
const P = 'drain';

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  await env.createProject(org.ownerToken, { slug: P });
  gate = await text('kb/gates/g.md', 'g');
  await upload(env, org.ownerToken, P, [gate]);
});
afterAll(() => env.close());

async function acceptNote(name: string): Promise<Text> {
  const note = await text(`kb/notes/${name}.md`, `# ${name}\n${name} body`);
  await upload(env, org.ownerToken, P, [note]);
  await accept(env, org, P, 'm', [[note, gate]]);
  return note;
}

const embedded = async () => rowsOf<{ path: string }>(await env.database.db.execute(sql`
  select s.path from embeddings e join snapshots s on s.id = e.subject_id join projects p on p.id = e.project_id
  where p.slug = ${P} and p.org_id = ${org.id} order by s.path`)).map((r) => r.path);

/** Runs `fn` on the project in a tenant transaction, as search() and the scheduled drain do. */
const onProject = <T>(fn: (tx: Tx, project: ProjectRow) => Promise<T>) => withTenant(env.database.db, { orgId: org.id }, async (tx) => {
  const [project] = await tx.select().from(projects).where(eq(projects.slug, P));
  return fn(tx, project);
});

describe('search-time embedding drain', () => {
  it('embeds new acceptances on search, leaves an older backlog to the scheduled drain, and takes it along when new work arrives', async () => {
    const first = await acceptNote('aardvark');
    await acceptNote('badger');
    await env.request('POST', `/v1/projects/${P}/search`, { token: org.ownerToken, body: { query: 'aardvark' } });
    expect(await embedded()).toEqual(['kb/notes/aardvark.md', 'kb/notes/badger.md']);

    // A backlog behind the newest acceptance (as after dropping vectors): a window of one does not see it.
    await env.database.db.execute(sql`delete from embeddings where subject_id = (select id from snapshots where path = ${first.path})`);
    expect(await onProject((tx, p) => drainIfRecent(tx, p, embedder, 1))).toBe(0);
    expect(await embedded()).toEqual(['kb/notes/badger.md']);

    // New work on top: the check sees it and the full drain takes the backlog too.
    await acceptNote('capybara');
    expect(await onProject((tx, p) => drainIfRecent(tx, p, embedder, 1))).toBe(2);
    expect(await embedded()).toEqual(['kb/notes/aardvark.md', 'kb/notes/badger.md', 'kb/notes/capybara.md']);

    // The scheduled drain needs no new work to clear a backlog.
    await env.database.db.execute(sql`delete from embeddings where subject_id = (select id from snapshots where path = ${first.path})`);
    expect(await onProject((tx, p) => drainIfRecent(tx, p, embedder, 1))).toBe(0);
    expect(await onProject((tx, p) => drainProject(tx, p, embedder))).toBe(1);
    expect(await embedded()).toHaveLength(3);
  });
});
