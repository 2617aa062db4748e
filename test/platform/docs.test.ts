// /docs on Node serves the Scalar viewer from the app, not a CDN (issue 17, item 21).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { TestEnv } from '../support/harness.js';
import { expectSelfHostedDocs } from '../support/docs-page.js';

let env: TestEnv;
beforeAll(async () => { env = await TestEnv.start(); });
afterAll(async () => { await env.close(); });

describe('API docs on Node', () => {
  it('/docs loads only same-origin scripts under a CSP, the pinned viewer bundle with a long cache', async () => {
    await expectSelfHostedDocs((path) => env.request('GET', path));
  });
});
