// The dashboard through the Worker entry, inside workerd: the sign-in page
// with its CSP, signing in with a token into a Secure cookie (https here),
// and signed-in pages (overview, heatmap) rendered from the Neon driver.
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, createOrg, operatorToken } from './client.js';

const ORIGIN = 'https://gatehouse.test';

async function page(path: string, init: RequestInit = {}) {
  const res = await exports.default.fetch(new Request(`${ORIGIN}${path}`, { redirect: 'manual', ...init }));
  return { status: res.status, headers: res.headers, html: await res.text() };
}

const cookieOf = (headers: Headers, name: string) =>
  headers.getSetCookie().find((c) => c.startsWith(`${name}=`))?.split(';')[0];

describe('dashboard in workerd', () => {
  it('renders the sign-in page with a strict CSP and its script from this origin', async () => {
    const signIn = await page('/ui/sign-in');
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(signIn.html).toContain('<script src="/ui/static/sign-in.js"></script>');
    const script = await page('/ui/static/sign-in.js');
    expect(script.headers.get('content-type')).toContain('javascript');
    expect((await page('/ui')).status).toBe(303);
    // Login CSRF: the script fills in a #token= link's token but never submits; ?reason= is a code for a fixed text.
    expect(script.html).not.toContain('submit(');
    expect((await page('/ui/sign-in?reason=Call%20555%200100')).html).not.toContain('555 0100');
    expect((await page('/ui/sign-in?reason=signed-out')).html).toContain('Signed out.');
  });

  it('signs in with a token and shows the org\'s projects and a heatmap', async () => {
    const org = await createOrg(await operatorToken());
    const created = await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug: 'kb', name: 'Worker KB' } });
    expect(created.status, created.text).toBe(201);
    const signIn = await page('/ui/sign-in');
    const nonceCookie = cookieOf(signIn.headers, 'gatehouse_signin')!;
    const nonce = /name="_signin" value="([^"]+)"/.exec(signIn.html)![1];
    const posted = await page('/ui/sign-in', {
      method: 'POST',
      headers: { cookie: nonceCookie, 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
      body: new URLSearchParams({ _signin: nonce, token: org.ownerToken }).toString(),
    });
    expect(posted.status).toBe(303);
    const session = posted.headers.getSetCookie().find((c) => c.startsWith('gatehouse_session='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/Secure/);
    expect(session).toMatch(/SameSite=Strict/);
    const cookie = session.split(';')[0];
    const overview = await page('/ui', { headers: { cookie } });
    expect(overview.status).toBe(200);
    expect(overview.html).toContain('Worker KB');
    const heat = await page('/ui/projects/kb', { headers: { cookie } });
    expect(heat.status).toBe(200);
    expect(heat.html).toContain('No partition yet');
    expect((await page('/ui/projects/nope', { headers: { cookie } })).status).toBe(404);
  });
});
