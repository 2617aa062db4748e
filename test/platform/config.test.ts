// The one configuration reader both hosts call (issue 17, item 19): OIDC
// half-configured is refused (Node at start; the Worker's answer is in
// test/workerd/service.test.ts), the version is package.json's, the commit
// the deployment's or the checkout's, and wrangler.toml's rate-limit figures
// agree with the code's defaults.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BINDING_DEFAULTS, ConfigError, readConfig, readRateLimits } from '../../src/platform/config.js';
import { readNodeConfig } from '../../src/platform/node-host.js';

const root = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };

describe('one configuration reader for both hosts', () => {
  it('an OIDC issuer without a JWKS URL, or the reverse, is refused naming the missing variable; both together work', () => {
    const refused = (vars: Record<string, string>) => {
      try { readConfig(vars); } catch (err) { return err; }
      return undefined;
    };
    const noJwks = refused({ GATEHOUSE_OIDC_ISSUER: 'https://idp.example' });
    expect(noJwks).toBeInstanceOf(ConfigError);
    expect(noJwks).toMatchObject({ variable: 'GATEHOUSE_OIDC_JWKS_URL' });
    expect(refused({ GATEHOUSE_OIDC_JWKS_URL: 'https://idp.example/jwks' })).toMatchObject({ variable: 'GATEHOUSE_OIDC_ISSUER' });
    expect(refused({ GATEHOUSE_OIDC_ISSUER: 'https://idp.example', GATEHOUSE_OIDC_JWKS_URL: 'not a url' })).toMatchObject({ variable: 'GATEHOUSE_OIDC_JWKS_URL' });
    // Node reads through the same function, so `npm start` refuses (src/node.ts exits 1 with the message).
    expect(() => readNodeConfig({ GATEHOUSE_OIDC_ISSUER: 'https://idp.example' })).toThrow(/GATEHOUSE_OIDC_JWKS_URL is required/);
    const both = readConfig({ GATEHOUSE_OIDC_ISSUER: 'https://idp.example', GATEHOUSE_OIDC_JWKS_URL: 'https://idp.example/jwks', GATEHOUSE_AUDIENCE: 'aud' });
    expect(both.oidc).toMatchObject({ issuer: 'https://idp.example', audience: 'aud', algorithms: ['RS256', 'ES256', 'EdDSA'] });
    expect(readConfig({}).oidc).toBeNull();
  });

  it('version is package.json\'s; the commit is GATEHOUSE_COMMIT, else (Node) the checkout\'s HEAD', () => {
    expect(readConfig({}).version).toBe(pkg.version);
    expect(readConfig({}).commit).toBeNull();
    expect(readNodeConfig({ GATEHOUSE_COMMIT: 'abc123' }).commit).toBe('abc123');
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root }).toString().trim();
    expect(readNodeConfig({}).commit).toBe(head);
  });

  it('wrangler.toml\'s [[ratelimits]], its [vars] repeating them, and the code\'s defaults agree', () => {
    const toml = readFileSync(`${root}wrangler.toml`, 'utf8');
    const bindings = Object.fromEntries([...toml.matchAll(/\[\[ratelimits\]\]\s*\nname = "(\w+)"[^[]*?simple = \{ limit = (\d+), period = (\d+) \}/g)]
      .map(([, name, limit, period]) => [name, { limit: Number(limit), periodSeconds: Number(period) }]));
    expect(bindings).toEqual({ RATE_LIMITER: BINDING_DEFAULTS.identity, ADDRESS_RATE_LIMITER: BINDING_DEFAULTS.address });
    const vars = Object.fromEntries([...toml.matchAll(/^(GATEHOUSE_\w*RATE_LIMIT\w*) = "(\d+)"$/gm)].map(([, k, v]) => [k, v]));
    expect(Object.keys(vars)).toHaveLength(4);
    expect(readRateLimits(vars).bindings).toEqual(readRateLimits({}).bindings);
    expect(readRateLimits({}).bindings).toEqual(BINDING_DEFAULTS);
  });
});
