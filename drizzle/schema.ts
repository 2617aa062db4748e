// The whole data model, one module per area.
export * from './tenancy.js';
export * from './freshness.js';
export * from './execution.js';
export * from './registry.js';
export * from './search.js';
