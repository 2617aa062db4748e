// `gatehouse login --web`: open the dashboard's sign-in page with the CLI's
// token filled in. The token rides in the URL fragment, which browsers never
// send to the server (nor to its logs, nor in a Referer); the sign-in page's
// own script moves it into the form and wipes it from the address bar. The
// person still clicks "Sign in": a page that signed in by itself would let
// anyone's link sign a victim into the link sender's org (login CSRF).
import { spawn } from 'node:child_process';
import { ApiClient } from './client.js';
import { tokenFor } from './config.js';

export function signInUrl(api: string, token: string): string {
  return `${api.replace(/\/+$/, '')}/ui/sign-in#token=${encodeURIComponent(token)}`;
}

/** The platform's "open this URL" command, run without a shell (the URL is one argument). */
function opener(url: string): [string, string[]] {
  if (process.platform === 'darwin') return ['open', [url]];
  if (process.platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler', url]];
  return ['xdg-open', [url]];
}

function openBrowser(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const [cmd, args] = opener(url);
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => resolve(false));
    child.on('spawn', () => { child.unref(); resolve(true); });
  });
}

export async function loginWeb(api: string, opts: { token?: string; open: boolean }): Promise<number> {
  const token = opts.token ?? (await tokenFor(api));
  // Check it first, so a dead token fails here with a hint rather than on a web page.
  const { body } = await new ApiClient(api, token).get<{ slug: string; you: { role: string } }>('/v1/org');
  const url = signInUrl(api, token);
  if (opts.open && (await openBrowser(url))) {
    process.stderr.write(`opened the dashboard for org ${body.slug} (${body.you.role}) in your browser; click "Sign in" there\n`);
    return 0;
  }
  process.stderr.write(`open this address in your browser to sign in to org ${body.slug} (${body.you.role}); it carries your token, so keep it private:\n`);
  process.stdout.write(`${url}\n`);
  return 0;
}
