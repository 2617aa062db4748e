// The API docs at /docs: the Scalar viewer served from this app, at the
// version package.json pins, never from a CDN (issue 17, item 21). The docs
// then work offline and behind a firewall, a CDN cannot change the script a
// visitor runs, and the page's CSP can allow scripts from this origin only.
import type { Context, Hono } from 'hono';
import type { AppEnv } from './context.js';
import { ApiError } from './errors.js';

/** The viewer's browser bundle, as each host gets it: Node reads node_modules, a Worker has it bundled as text. */
export interface DocsViewer {
  /** @scalar/api-reference's version (pinned exactly in package.json); part of the asset's URL, so it may be cached for good. */
  version: string;
  script(): Promise<string> | string;
}

export const docsViewerPath = (version: string) => `/docs/assets/scalar-api-reference-${version}.js`;
export const DOCS_INIT_PATH = '/docs/assets/init.js';

/**
 * Scripts and the viewer's stylesheet only from this origin. The bundle
 * injects its CSS as one <style> element, which it marks with the nonce it
 * reads from <meta property="csp-nonce">; nothing inline runs. Its components
 * set style attributes (sizes, positions), which load nothing; style-src-attr
 * allows those, so the viewer renders as it was built.
 */
export const docsCsp = (nonce: string) =>
  `default-src 'none'; script-src 'self'; style-src 'self' 'nonce-${nonce}'; style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

// Starts the viewer on the page's #app; a file of its own, since the CSP allows no inline script.
const INIT_JS = `(function () {
  var app = document.getElementById('app');
  Scalar.createApiReference('#app', { url: app.getAttribute('data-url'), withDefaultFonts: false, telemetry: false });
})();
`;

function page(viewerSrc: string, nonce: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta property="csp-nonce" content="${nonce}" />
    <title>Gatehouse API</title>
  </head>
  <body>
    <div id="app" data-url="/openapi.json"></div>
    <script src="${viewerSrc}"></script>
    <script src="${DOCS_INIT_PATH}"></script>
  </body>
</html>
`;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

export function docsRoutes(app: Hono<AppEnv>, viewer: DocsViewer | undefined): void {
  app.get('/docs', (c) => {
    if (!viewer) throw new ApiError('not_found', 'This host serves no API docs viewer; the document is at /openapi.json');
    const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    c.header('content-security-policy', docsCsp(nonce));
    c.header('cache-control', 'no-store');
    return c.html(page(docsViewerPath(viewer.version), nonce));
  });
  app.get(DOCS_INIT_PATH, (c) => script(c, INIT_JS, 'public, max-age=300'));
  if (viewer) {
    let text: Promise<string> | undefined;
    app.get(docsViewerPath(viewer.version), async (c) => {
      // Read once per process or isolate (4.8 MB); a failed read is tried again next time.
      text ??= Promise.resolve(viewer.script()).catch((err) => { text = undefined; throw err; });
      return script(c, await text, IMMUTABLE);
    });
  }
}

const script = (c: Context, body: string, cache: string) =>
  c.body(body, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': cache });
