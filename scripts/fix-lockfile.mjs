// After `npm install`, run `node scripts/fix-lockfile.mjs`.
// The package registry reachable from our machines serves workerd's Linux
// binaries but not its macOS/Windows ones, so npm leaves those optional
// entries out of package-lock.json and `npm ci` then refuses the lock as out
// of sync. This adds the missing platform entries (os/cpu marked, so npm
// skips them on Linux without fetching anything) back in.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const platforms = {
  'darwin-64': { os: ['darwin'], cpu: ['x64'] },
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'linux-64': { os: ['linux'], cpu: ['x64'] },
  'linux-arm64': { os: ['linux'], cpu: ['arm64'] },
  'windows-64': { os: ['win32'], cpu: ['x64'] },
};
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!path.endsWith('node_modules/workerd') || !entry.optionalDependencies) continue;
  const base = path.slice(0, -'workerd'.length);
  for (const [name, version] of Object.entries(entry.optionalDependencies)) {
    const suffix = name.replace('@cloudflare/workerd-', '');
    const target = `${base}${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[target] || (lock.packages[hoisted]?.version === version)) continue;
    lock.packages[target] = { version, ...platforms[suffix], dev: true, license: 'Apache-2.0', optional: true, engines: { node: '>=16' } };
    added += 1;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`fix-lockfile: added ${added} platform entries`);
