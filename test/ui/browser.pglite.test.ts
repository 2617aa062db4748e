// The dashboard in a real browser (Debian's chromium driven by
// playwright-core) against the real Node entry, with the corpus loaded
// through the API: sign in, the heatmap cell by cell against the API's
// select, a runner default changed through its plan, its audit entry, a
// viewer without admin forms, a second org that sees nothing, and
// `gatehouse login --web`. Screenshots go to test-output/screenshots/.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from '../support/chromium.js';
import { corpusFiles } from '../support/corpus.js';
import { apiClient, hashed, root, startServer, type File, type Served } from './server.js';

const { path: CHROMIUM, found: haveBrowser } = chromiumPath();
const SHOTS = join(root, 'test-output/screenshots');
const PARTITION = 'corpus-model';
// CI installs chromium (.ci/run); elsewhere, without it, say so and skip.
if (!haveBrowser && process.env.CI) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does), or set GATEHOUSE_CHROMIUM`);
if (!haveBrowser) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium, or set GATEHOUSE_CHROMIUM)`);

let served: Served;
let browser: Browser;
let owner: ReturnType<typeof apiClient>;
let notes: File[];
let gates: File[];

/** Console errors of every page (a CSP violation is one): none may happen. */
const consoleErrors: string[] = [];

async function newPage(width = 1400, height = 900): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[34]/.test(m.text())) consoleErrors.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  return page;
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

async function signIn(page: Page, token: string) {
  await page.goto(`${served.api}/ui/sign-in`);
  await page.getByLabel(/API token/).fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${served.api}/ui`);
}

/** Review some notes through real jobs: claim, a result per item (a mix of outcomes), finalize. */
async function review(batch: File[]) {
  await owner('POST', '/v1/projects/kb/jobs', { runner: 'exec', model_partition: PARTITION, select: { notes: batch.map(({ path, sha256 }) => ({ path, sha256 })), gates: gates.map(({ path, sha256 }) => ({ path, sha256 })) }, grouping: 'note', batch_size: 50 });
  for (;;) {
    const res = await fetch(`${served.api}/v1/jobs/claim`, { method: 'POST', headers: { authorization: `Bearer ${served.ownerToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ runner: 'exec', worker: 'runner-1' }) });
    if (res.status === 204) return;
    const claim = await res.json();
    for (const [k, item] of (claim.items as { id: string; gate_path: string }[]).entries()) {
      const outcome = k % 11 === 3 ? 'fail' : k % 7 === 2 ? 'warn' : 'pass';
      await owner('PUT', `/v1/jobs/${claim.job.id}/items/${item.id}/result`, { lease_id: claim.lease.id, outcome, artifact: `### ${item.gate_path}\n\nThe note **meets** the gate.\n\n- evidence one\n- evidence two\n\n## Result: ${outcome.toUpperCase()}` });
    }
    await owner('POST', `/v1/jobs/${claim.job.id}/finalize`, { lease_id: claim.lease.id });
  }
}

beforeAll(async () => {
  if (!haveBrowser) return;
  await mkdir(SHOTS, { recursive: true });
  served = await startServer();
  owner = apiClient(served.api, served.ownerToken);
  await owner('POST', '/v1/projects', { slug: 'kb', name: 'Commonplace KB' });
  const all = await Promise.all(corpusFiles('kb').map((f) => hashed(f.path, f.body)));
  notes = all.filter((f) => f.path.startsWith('kb/notes/'));
  gates = all.filter((f) => f.path.startsWith('kb/instructions/review-gates/'));
  expect([notes.length, gates.length]).toEqual([355, 42]);
  for (let i = 0; i < notes.length + gates.length; i += 100) {
    await owner('POST', '/v1/projects/kb/snapshots', { files: [...gates, ...notes].slice(i, i + 100) });
  }
  await review(notes.slice(0, 40));
  // Edits after the reviews: two notes and one gate change (stale), one running and one failed job.
  for (const i of [3, 17]) notes[i] = await hashed(notes[i].path, `${notes[i].body}\nAn added line.\n`);
  gates[5] = await hashed(gates[5].path, `${gates[5].body}\nA stricter criterion.\n`);
  await owner('POST', '/v1/projects/kb/snapshots', { files: [notes[3], notes[17], gates[5]] });
  const pair = (n: File, g: File) => ({ note_path: n.path, note_sha256: n.sha256, gate_path: g.path, gate_sha256: g.sha256 });
  const failing = await owner('POST', '/v1/projects/kb/jobs', { runner: 'exec', model_partition: PARTITION, items: [pair(notes[50], gates[0])] });
  const claimed = await owner('POST', '/v1/jobs/claim', { runner: 'exec', worker: 'runner-1' });
  expect(claimed.job.id).toBe(failing.jobs[0].id);
  await owner('PUT', `/v1/jobs/${claimed.job.id}/items/${claimed.items[0].id}/result`, { lease_id: claimed.lease.id, outcome: 'error', artifact: 'The agent crashed: <b>timeout</b>' });
  await owner('POST', `/v1/jobs/${claimed.job.id}/finalize`, { lease_id: claimed.lease.id });
  await owner('POST', '/v1/projects/kb/jobs', { runner: 'exec', model_partition: PARTITION, items: [pair(notes[60], gates[1])] });
  const running = await owner('POST', '/v1/jobs/claim', { runner: 'exec', worker: 'laptop-7', lease_seconds: 600 });
  // A claim's lease lasts a minute until the first heartbeat; this one holds the job for the whole run.
  await owner('POST', `/v1/jobs/${running.job.id}/heartbeat`, { lease_id: running.lease.id, lease_seconds: 600 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Playwright gives each launch a fresh, empty profile directory of its own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe.skipIf(!haveBrowser)('dashboard in chromium', () => {
  it('signs in with a token and shows the org overview', async () => {
    const page = await newPage();
    await signIn(page, served.ownerToken);
    expect(await page.getByRole('heading', { name: /Commonplace KB/ }).count()).toBe(1);
    expect(await page.textContent('main')).toMatch(/355 notes × 42 gates/);
    expect(await page.textContent('main')).toMatch(new RegExp(PARTITION));
    await shot(page, '01-overview');
    // Keyboard: the first Tab reaches the skip link, which moves focus into the main content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
    await page.close();
  });

  it('draws the heatmap of the corpus cell for cell as the API select answers', async () => {
    const page = await newPage(1600, 1000);
    await signIn(page, served.ownerToken);
    const started = Date.now();
    const answer = await page.goto(`${served.api}/ui/projects/kb?partition=${PARTITION}`);
    const loadMs = Date.now() - started;
    console.log(`heatmap of 355 x 42: ${(await answer!.body()).length} bytes (sent ${answer!.headers()['content-encoding']}), server-timing ${answer!.headers()['server-timing']}`);
    expect(answer!.headers()['content-encoding']).toBe('gzip');
    const drawn = await page.evaluate(() => ({
      gates: [...document.querySelectorAll('#heatmap thead abbr')].map((a) => a.getAttribute('title')),
      rows: [...document.querySelectorAll('#heatmap tbody tr')].map((tr) => ({
        note: tr.querySelector('th')!.getAttribute('title'),
        cells: [...tr.querySelectorAll('td')].map((td) => td.className.split(' ')[1]),
      })),
    }));
    const api = await owner('POST', '/v1/projects/kb/freshness', {
      model_partition: PARTITION, include_fresh: true,
      notes: notes.map(({ path, sha256 }) => ({ path, sha256 })), gates: gates.map(({ path, sha256 }) => ({ path, sha256 })),
    });
    expect(api.counts).toMatchObject({ total: 355 * 42, stale: 2 * 42 + 38, fresh: 40 * 42 - (2 * 42 + 38) });
    expect(drawn.gates).toEqual(gates.map((g) => g.path).sort());
    expect(drawn.rows.map((r) => r.note)).toEqual(notes.map((n) => n.path).sort());
    const expected = new Map<string, string>(api.pairs.map((p: any) => [`${p.note_path}|${p.gate_path}`, p.status[0]]));
    let compared = 0;
    for (const row of drawn.rows) row.cells.forEach((cls, j) => {
      expect(cls, `${row.note} × ${drawn.gates[j]}`).toBe(expected.get(`${row.note}|${drawn.gates[j]}`));
      compared += 1;
    });
    expect(compared).toBe(355 * 42);
    console.log(`heatmap of 355 x 42: page loaded in ${loadMs} ms`);
    expect(loadMs).toBeLessThan(10_000);
    await shot(page, '02-heatmap');

    // Colour by last outcome: the reviewed rows carry P/W/F letters.
    await page.getByLabel('Colour by').selectOption('outcome');
    await page.getByRole('button', { name: 'Show' }).click();
    expect(await page.locator('#heatmap td.ox').count()).toBeGreaterThan(0);
    await shot(page, '03-heatmap-outcomes');

    // Drill down: a stale cell opens its pair with the diff, history and artifact.
    await page.goto(`${served.api}/ui/projects/kb?partition=${PARTITION}`);
    const row = page.locator('#heatmap tbody tr', { has: page.locator(`th[title="${notes[3].path}"]`) });
    await row.locator('td').first().locator('a').click();
    await page.waitForURL(/\/pair\?/);
    expect(await page.textContent('main')).toContain('+An added line.');
    expect(await page.locator('.markdown strong').first().textContent()).toBe('meets');
    await shot(page, '04-pair');
    await page.close();
  });

  it('shows the queue and a failed job with its sanitised artifact', async () => {
    const page = await newPage();
    await signIn(page, served.ownerToken);
    await page.goto(`${served.api}/ui/projects/kb/queue`);
    expect(await page.textContent('#queue-counts td[data-status="running"]')).toBe('1');
    expect(await page.textContent('#queue-counts td[data-status="failed"]')).toBe('1');
    expect(await page.textContent('main')).toContain('laptop-7');
    expect(await page.textContent('main')).toContain('item_error');
    await shot(page, '05-queue');
    await page.getByRole('row', { name: /item_error/ }).getByRole('link').click();
    await page.waitForURL(/\/ui\/jobs\//);
    expect(await page.locator('.markdown b').count()).toBe(0);
    expect(await page.textContent('.markdown')).toContain('<b>timeout</b>');
    await shot(page, '06-job');
    await page.close();
  });

  it('changes a runner default through the form after showing its plan, and the audit log records it', async () => {
    const page = await newPage();
    await signIn(page, served.ownerToken);
    await page.goto(`${served.api}/ui/projects/kb/registry`);
    const form = page.locator('#runner-default-form');
    await form.getByLabel('Partition', { exact: true }).selectOption(PARTITION);
    await form.getByLabel('Runner', { exact: true }).fill('claude-code');
    await form.getByLabel('Model', { exact: true }).fill('claude-opus-4-1');
    await form.getByLabel('Effort', { exact: true }).fill('high');
    await form.getByRole('button', { name: 'Review the plan' }).click();
    await page.waitForURL(/\/registry\/plan$/);
    expect(await page.textContent('#plan-changes')).toContain(`add runner default ${PARTITION} / claude-code → claude-opus-4-1 (effort high)`);
    // Planned, not applied.
    expect((await owner('GET', '/v1/projects/kb/registry')).runner_models).toEqual([]);
    await shot(page, '07-registry-plan');
    await page.getByRole('button', { name: /Apply 1 change/ }).click();
    await page.waitForURL(/\/registry\?applied=1/);
    expect(await page.textContent('#runner-defaults')).toContain('claude-opus-4-1');
    expect((await owner('GET', '/v1/projects/kb/registry')).runner_models).toEqual([{ model_partition: PARTITION, runner: 'claude-code', runner_model: 'claude-opus-4-1', runner_effort: 'high' }]);
    await shot(page, '08-registry');
    await page.goto(`${served.api}/ui/audit`);
    await page.getByLabel('Action').fill('registry.add_runner_model');
    await page.getByRole('button', { name: 'Filter' }).click();
    const rows = page.locator('#audit tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('registry.add_runner_model');
    await rows.first().locator('summary').click();
    expect(await rows.first().locator('pre').textContent()).toContain('claude-opus-4-1');
    await shot(page, '09-audit');
    await page.close();
  });

  it('mints a token shown once, and revokes it', async () => {
    const page = await newPage();
    await signIn(page, served.ownerToken);
    await page.goto(`${served.api}/ui/tokens`);
    await page.locator('#mint-form').getByLabel('Name').fill('ci-reader');
    await page.getByLabel('freshness:read').check();
    await page.getByRole('button', { name: 'Mint' }).click();
    const minted = (await page.locator('#minted').inputValue()).trim();
    expect((await fetch(`${served.api}/v1/org`, { headers: { authorization: `Bearer ${minted}` } })).status).toBe(200);
    await shot(page, '10-token-minted');
    await page.goto(`${served.api}/ui/tokens`);
    expect(await page.content()).not.toContain(minted);
    await page.getByRole('button', { name: 'Revoke ci-reader' }).click();
    await page.waitForURL(`${served.api}/ui/tokens`);
    expect((await fetch(`${served.api}/v1/org`, { headers: { authorization: `Bearer ${minted}` } })).status).toBe(401);
    await shot(page, '11-tokens');
    await page.close();
  });

  it('a viewer arriving from `gatehouse login --web` sees the heatmap but no admin forms', async () => {
    const added = await owner('POST', '/v1/org/members', { subject: 'vera', role: 'viewer' });
    const viewerToken = (await owner('POST', '/v1/org/tokens', { name: 'vera', user_id: added.user_id })).token;
    const url = await new Promise<string>((resolve, reject) => execFile(process.execPath, [join(root, 'bin/gatehouse.mjs'), 'login', '--web', '--no-open', '--api', served.api], {
      env: { ...process.env, GATEHOUSE_TOKEN: viewerToken, NO_COLOR: '1' },
    }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))));
    expect(url).toBe(`${served.api}/ui/sign-in#token=${viewerToken}`);
    const page = await newPage();
    await page.goto(url);
    // The link only fills in the form (no login CSRF): the address is wiped, and nobody is signed in until the click.
    await page.waitForURL(`${served.api}/ui/sign-in`);
    expect(await page.getByLabel(/API token/).inputValue()).toBe(viewerToken);
    expect(await page.locator('#prefilled').isVisible()).toBe(true);
    expect((await page.context().cookies()).some((c) => c.name === 'gatehouse_session')).toBe(false);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${served.api}/ui`);
    expect(page.url()).not.toContain('token');
    expect(await page.textContent('header')).toContain('viewer');
    await page.goto(`${served.api}/ui/projects/kb/registry`);
    expect(await page.locator('form[action$="/registry/plan"]').count()).toBe(0);
    expect(await page.textContent('main')).toContain('Read only');
    await shot(page, '12-viewer-registry');
    expect(await page.locator('nav[aria-label="Main"] a', { hasText: 'Audit log' }).count()).toBe(0);
    const audit = await page.goto(`${served.api}/ui/audit`);
    expect(audit!.status()).toBe(403);
    await page.close();
  });

  it('a token of another org sees nothing of the first', async () => {
    const res = await fetch(`${served.api}/v1/orgs`, { method: 'POST', headers: { authorization: `Bearer ${await served.operatorToken()}`, 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'other', name: 'Other', owner: { subject: 'olga' } }) });
    const otherToken = (await res.json()).owner_token;
    const page = await newPage();
    await signIn(page, otherToken);
    expect(await page.textContent('main')).not.toContain('Commonplace');
    expect(await page.textContent('main')).toContain('No projects you can see');
    for (const path of ['/ui/projects/kb', '/ui/projects/kb/queue', '/ui/projects/kb/registry', `/ui/projects/kb/pair?partition=${PARTITION}&note=${encodeURIComponent(notes[0].path)}&gate=${encodeURIComponent(gates[0].path)}`]) {
      const answer = await page.goto(`${served.api}${path}`);
      expect(answer!.status(), path).toBe(404);
    }
    await page.goto(`${served.api}/ui/audit`);
    expect(await page.textContent('#audit')).not.toContain('runner_model');
    await page.goto(`${served.api}/ui/projects/kb`);
    await shot(page, '13-other-org');
    await page.close();
  });

  it('no page logged an error or a Content-Security-Policy violation', () => {
    expect(consoleErrors).toEqual([]);
  });
});
