// Review artifacts are markdown written by agents: untrusted. markdown-it
// with html:false escapes any raw HTML instead of passing it through, and its
// link validator refuses javascript:, vbscript:, file: and most data: URLs;
// the page's CSP (no inline scripts, no foreign images) backs both up.
import MarkdownIt from 'markdown-it';
import { raw } from 'hono/html';

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

// Links in artifacts leave the dashboard: never pass the referrer or the opener.
const defaultLink = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('rel', 'noopener noreferrer nofollow');
  return defaultLink(tokens, idx, options, env, self);
};

/** Safe HTML for a markdown text, ready to place in a page. */
export function renderMarkdown(text: string) {
  return raw(md.render(text));
}
