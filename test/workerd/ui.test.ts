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

  // Issue 17, item 16: the Workers runtime compresses responses itself, so a
  // body the app gzipped arrived gzipped twice; the app must leave it alone.
  it('pages, CSS and JS reach the client encoded once: no Content-Encoding from the app, plain HTML', async () => {
    for (const encoding of ['gzip, deflate, br', 'identity']) {
      const signIn = await page('/ui/sign-in', { headers: { 'accept-encoding': encoding } });
      expect(signIn.status).toBe(200);
      expect(signIn.headers.get('content-encoding'), encoding).toBeNull();
      expect(signIn.html.toLowerCase().startsWith('<!doctype html>'), signIn.html.slice(0, 40)).toBe(true);
      const css = await page('/ui/static/app.css', { headers: { 'accept-encoding': encoding } });
      expect(css.headers.get('content-encoding')).toBeNull();
      expect(css.html).toMatch(/[{}]/);
      const js = await page('/ui/static/sign-in.js', { headers: { 'accept-encoding': encoding } });
      expect(js.headers.get('content-encoding')).toBeNull();
      expect(js.html).toContain('document');
    }
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
    // The dashboard spends the identity's budget (the RATE_LIMITER binding), as /v1 does.
    expect(overview.headers.get('ratelimit-limit')).toBe('600');
    const heat = await page('/ui/projects/kb', { headers: { cookie } });
    expect(heat.status).toBe(200);
    expect(heat.html).toContain('No partition yet');
    expect((await page('/ui/projects/nope', { headers: { cookie } })).status).toBe(404);
  });

  it('a flood from one address (CF-Connecting-IP) is refused before authentication by the ADDRESS_RATE_LIMITER binding', async () => {
    const forged = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.' + 'A'.repeat(86);
    let refused: Awaited<ReturnType<typeof page>> | undefined;
    for (let i = 0; i < 3000 && !refused; i++) {
      const reply = await page('/v1/org', { headers: { authorization: `Bearer ${forged}`, 'cf-connecting-ip': '198.51.100.23' } });
      if (reply.status === 429) refused = reply;
      else expect(reply.status).toBe(401);
    }
    expect(refused, 'no 429 within 3000 requests').toBeDefined();
    expect(refused!.headers.get('content-type')).toBe('application/problem+json');
    expect(refused!.headers.get('retry-after')).toBe('10');
    expect((await page('/ui/sign-in', { headers: { 'cf-connecting-ip': '198.51.100.23' } })).status).toBe(429);
    expect((await page('/ui/sign-in', { headers: { 'cf-connecting-ip': '203.0.113.77' } })).status).toBe(200);
  }, 60_000);
});
