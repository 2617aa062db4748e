// A second org with one of everything an id can name, for the cross-tenant
// checks of the security matrix.
import type { OrgFixture, TestEnv } from './harness.js';

/** Org B with one of everything: a finished job (so an acceptance event) and a running one (so a live lease). */
export async function otherOrgFixtures(env: TestEnv, org: OrgFixture): Promise<Record<string, string>> {
  const token = org.ownerToken;
  const member = await env.addMember(org, 'member');
  const project = await env.createProject(token, { slug: 'other-org-project' });
  const group = await env.request('POST', '/v1/org/groups', { token, body: { name: 'other-group' } });
  const spare = await env.request('POST', '/v1/org/tokens', { token, body: { name: 'other-spare' } });
  const note = await env.uploadText(token, project.slug, 'kb/notes/other.md', '# Only in org B\n');
  const gates = [await env.uploadText(token, project.slug, 'kb/gates/one.md', '# B gate one\n'), await env.uploadText(token, project.slug, 'kb/gates/two.md', '# B gate two\n')];
  const leases: { job: string; item: string; lease: string }[] = [];
  for (const gate of gates) {
    await env.request('POST', `/v1/projects/${project.slug}/jobs`, { token, body: { runner: 'other-runner', model_partition: 'other-part', items: [{ note_path: note.path, note_sha256: note.sha256, gate_path: gate.path, gate_sha256: gate.sha256 }] } });
    const claimed = await env.request('POST', '/v1/jobs/claim', { token, body: { runner: 'other-runner' } });
    leases.push({ job: claimed.json.job.id, item: claimed.json.items[0].id, lease: claimed.json.lease.id });
  }
  const [done, running] = leases;
  await env.request('POST', `/v1/jobs/${done.job}/finalize`, { token, body: { lease_id: done.lease, results: [{ item: done.item, outcome: 'pass', artifact: 'ok' }] } });
  const history = await env.request('GET', `/v1/projects/${project.slug}/acceptance?note_path=${note.path}&gate_path=${gates[0].path}&model_partition=other-part`, { token });
  return {
    project: project.slug, user: member.userId, group: group.json.id, token: spare.json.id, sha256: note.sha256,
    job: running.job, item: running.item, lease: running.lease, event: String(history.json.items[0].id), owner: org.ownerId,
  };
}
