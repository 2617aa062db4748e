// Types for the values global-setup.ts provides; used by the config (through
// the plugin's `inject`) and by the tests (through vitest's `inject`).
// Names are prefixed so they cannot collide with the Node suite's keys.
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    workerdDatabaseUrl: string;
    workerdWsProxy: string;
    workerdSigningKey: string;
    workerdIssuer: string;
    workerdAudience: string;
  }
}
