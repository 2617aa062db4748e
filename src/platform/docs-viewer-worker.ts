// The docs viewer on Workers: the browser bundle is a static asset
// ([assets] in wrangler.toml, the installed package's dist/browser), read
// through the ASSETS binding, so it adds nothing to the Worker's script.
import pkg from '../../package.json' with { type: 'json' };
import type { DocsViewer } from './docs.js';

/** The Workers static assets binding: a fetch over the asset directory. */
export interface AssetsBinding { fetch(request: Request | string): Promise<Response> }

export function workerDocsViewer(assets: AssetsBinding | undefined): DocsViewer | undefined {
  if (!assets) return undefined;
  return {
    version: pkg.dependencies['@scalar/api-reference'],
    script: async () => {
      // Any origin will do: the binding looks only at the path.
      const res = await assets.fetch('https://assets.invalid/standalone.js');
      if (!res.ok) throw new Error(`the docs viewer asset answered ${res.status}`);
      return res.text();
    },
  };
}
