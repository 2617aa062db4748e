// Execution fixtures: a project with uploaded texts, and a runner's calls.
import { TestEnv } from './harness.js';
import { manifest, type Text } from './freshness.js';

export function runnerCalls(env: TestEnv, token: string) {
  return {
    create: (project: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      env.request('POST', `/v1/projects/${project}/jobs`, { token, body: { runner: 'exec', ...body }, headers }),
    claim: (body: Record<string, unknown> = {}) => env.request('POST', '/v1/jobs/claim', { token, body: { runner: 'exec', ...body } }),
    heartbeat: (job: string, lease: string, seconds = 300) => env.request('POST', `/v1/jobs/${job}/heartbeat`, { token, body: { lease_id: lease, lease_seconds: seconds } }),
    release: (job: string, lease: string) => env.request('POST', `/v1/jobs/${job}/release`, { token, body: { lease_id: lease } }),
    result: (job: string, item: string, lease: string, outcome = 'pass', artifact = `## Result: ${outcome.toUpperCase()}`, telemetry?: Record<string, unknown>) =>
      env.request('PUT', `/v1/jobs/${job}/items/${item}/result`, { token, body: { lease_id: lease, outcome, artifact, ...(telemetry ? { telemetry } : {}) } }),
    finalize: (job: string, lease: string) => env.request('POST', `/v1/jobs/${job}/finalize`, { token, body: { lease_id: lease } }),
    get: (job: string) => env.request('GET', `/v1/jobs/${job}`, { token }),
  };
}

export const selectAll = (notes: Text[], gates: Text[]) => ({ notes: manifest(notes), gates: manifest(gates) });

export type RunnerCalls = ReturnType<typeof runnerCalls>;

/** The world most execution tests start from: an app, an org, and its owner's runner calls. */
export async function startRunnerWorld() {
  const env = await TestEnv.start();
  const org = await env.createOrg();
  return { env, org, r: runnerCalls(env, org.ownerToken) };
}
