// Where the browser tests find Chromium: GATEHOUSE_CHROMIUM, else Debian's.
import { existsSync } from 'node:fs';

export function chromiumPath(): { path: string; found: boolean } {
  const path = process.env.GATEHOUSE_CHROMIUM || '/usr/bin/chromium';
  return { path, found: existsSync(path) };
}
