// What /docs must be on both hosts (issue 17, item 21): the Scalar viewer
// from this origin at the pinned version, a CSP allowing only this origin's
// scripts, the bundle cacheable for good. Shared by the Node and workerd tests.
import { expect } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

type Get = (path: string) => Promise<{ status: number; headers: Headers; text: string }>;

export async function expectSelfHostedDocs(get: Get): Promise<void> {
  const docs = await get('/docs');
  expect(docs.status).toBe(200);
  expect(docs.headers.get('content-type')).toContain('text/html');
  expect(docs.text).toContain('/openapi.json');
  const csp = docs.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self';");
  expect(csp).toContain("default-src 'none'");
  expect(csp).toMatch(/style-src 'self' 'nonce-[^']+';/);
  // Style attributes the viewer's components set are allowed (they load nothing); nothing else is unsafe or from elsewhere.
  expect(csp.replace("style-src-attr 'unsafe-inline';", '')).not.toMatch(/https?:|\*|unsafe/);
  // The bundle marks the <style> it injects with the page's nonce; the two must be the same.
  const nonce = /'nonce-([^']+)'/.exec(csp)![1];
  expect(docs.text).toContain(`<meta property="csp-nonce" content="${nonce}" />`);
  const scripts = [...docs.text.matchAll(/<script\b([^>]*)>/g)].map((m) => /src="([^"]*)"/.exec(m[1])?.[1]);
  expect(scripts.length).toBeGreaterThan(0);
  for (const src of scripts) expect(src, 'an inline script or one from elsewhere').toMatch(/^\/[^/]/);
  expect(docs.text).not.toMatch(/cdn\.|jsdelivr|unpkg|https?:\/\//);
  const viewerSrc = `/docs/assets/scalar-api-reference-${pkg.dependencies['@scalar/api-reference']}.js`;
  expect(scripts).toContain(viewerSrc);

  const viewer = await get(viewerSrc);
  expect(viewer.status).toBe(200);
  expect(viewer.headers.get('content-type')).toContain('javascript');
  expect(viewer.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(viewer.text.length).toBeGreaterThan(1_000_000);
  expect(viewer.text).toContain('createApiReference');
  for (const src of scripts.filter((s) => s !== viewerSrc)) {
    const other = await get(src!);
    expect(other.status, src).toBe(200);
    expect(other.headers.get('content-type')).toContain('javascript');
  }
  // Another version than the pinned one is not served (a stale page's URL must not get new code under an old name).
  expect((await get('/docs/assets/scalar-api-reference-0.0.1.js')).status).toBe(404);
}
