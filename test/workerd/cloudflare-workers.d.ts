// Just enough of the workerd module `cloudflare:workers` for these tests to
// type-check under the repository's tsconfig (DOM + Node types). The full
// @cloudflare/workers-types would redefine Request/Response/fetch globally
// and clash with those, so it is not pulled in here.
declare module 'cloudflare:workers' {
  /** The Worker's bindings (wrangler.toml [vars] + the test's miniflare bindings). */
  export const env: Record<string, string | undefined>;
  /** The Worker's own entrypoints; `default` is src/worker.ts's default export. */
  export const exports: {
    default: {
      fetch(input: Request | string, init?: RequestInit): Promise<Response>;
      scheduled(controller: unknown): Promise<void>;
    };
  };
}
