// The page frame: landmarks (header, nav, main), a skip link, the signed-in
// identity and sign-out. Every page renders through here.
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Member } from '../tenancy/auth/principal.js';

export interface Frame {
  title: string;
  member?: Member;
  csrf?: string;
  /** The nav entry to mark as the current page. */
  current?: 'overview' | 'tokens' | 'audit';
}

export function Page(props: Frame & { children?: Child }) {
  const { member, current } = props;
  const link = (href: string, key: Frame['current'], label: string) => (
    <li><a href={href} aria-current={current === key ? 'page' : undefined}>{label}</a></li>
  );
  // The doctype keeps browsers out of quirks mode; JSX cannot write one itself.
  return (
    <>{raw('<!doctype html>')}<html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Gatehouse`}</title>
        <link rel="stylesheet" href="/ui/static/app.css" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <span class="brand">Gatehouse</span>
          {member && (
            <nav aria-label="Main">
              <ul>
                {link('/ui', 'overview', 'Projects')}
                {link('/ui/tokens', 'tokens', 'Tokens')}
                {member.scopes.has('org:admin') && link('/ui/audit', 'audit', 'Audit log')}
              </ul>
            </nav>
          )}
          {member && (
            <div class="who">
              <span>role <strong>{member.role}</strong></span>
              <form method="post" action="/ui/sign-out" class="inline">
                <input type="hidden" name="_csrf" value={props.csrf} />
                <button type="submit">Sign out</button>
              </form>
            </div>
          )}
        </header>
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
      </body>
    </html></>
  );
}

/** A hidden CSRF field for a form. */
export const Csrf = (props: { value: string }) => <input type="hidden" name="_csrf" value={props.value} />;

/** Status in words and a symbol as well as colour. */
export const STATUS_SYMBOL = { fresh: '✓', stale: '△', missing: '○' } as const;
export const OUTCOME_LETTER = { pass: 'P', warn: 'W', fail: 'F', error: 'E' } as const;

export function StatusText(props: { status: string }) {
  const symbol = (STATUS_SYMBOL as Record<string, string>)[props.status];
  return <span class={`status ${props.status}`}>{symbol ? `${symbol} ` : ''}{props.status}</span>;
}

export function fmtTime(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}
