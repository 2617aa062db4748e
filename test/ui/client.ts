// A browser-less dashboard client for tests: a cookie jar over app.request,
// form posts with the page's CSRF token, and the HTML of each answer.
import type { TestEnv } from '../support/harness.js';

export class UiClient {
  readonly cookies = new Map<string, string>();
  constructor(private readonly env: TestEnv, private readonly origin = 'http://localhost') {}

  async request(method: string, path: string, form?: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (form) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
      body = params.toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await this.env.app.request(`${this.origin}${path}`, { method, headers: h, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...rest] = pair.split('=');
      const value = rest.join('=');
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, headers: res.headers, html: await res.text(), setCookie: res.headers.getSetCookie() };
  }

  get(path: string) { return this.request('GET', path); }

  /** The CSRF token the last signed-in page carried. */
  static csrf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error('no CSRF field on the page');
    return m[1];
  }

  async signIn(token: string) {
    const page = await this.get('/ui/sign-in');
    const nonce = /name="_signin" value="([^"]+)"/.exec(page.html)![1];
    return this.request('POST', '/ui/sign-in', { _signin: nonce, token });
  }

  async post(path: string, form: Record<string, string | string[]>, from = '/ui') {
    const csrf = UiClient.csrf((await this.get(from)).html);
    return this.request('POST', path, { _csrf: csrf, ...form });
  }
}
