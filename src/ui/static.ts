// The dashboard's only script and stylesheet, served by the app itself (no
// front-end build, nothing to upload to Workers). The CSP allows scripts and
// styles from this origin only, so neither inline scripts nor inline styles run.

/**
 * The sign-in page's helper for `gatehouse login --web`: the CLI opens
 * /ui/sign-in#token=…; a URL fragment never reaches the server or its logs.
 * This moves the token into the form and wipes it from the address bar and
 * history, but never submits: anyone can send a link carrying their own
 * token, and an automatic sign-in would put the victim in the sender's org
 * (login CSRF). The person's click on "Sign in", after the notice, does it.
 */
export const SIGN_IN_JS = `(function () {
  var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, '', location.pathname + location.search);
  var field = document.getElementById('token');
  if (!field) return;
  try { field.value = decodeURIComponent(m[1]); } catch (e) { return; }
  var note = document.getElementById('prefilled');
  if (note) note.hidden = false;
  var button = document.getElementById('sign-in-button');
  if (button) button.focus();
})();
`;

/** Status colours pass WCAG AA against their text; every status also has a symbol and words. */
export const APP_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --accent: #0550ae;
  --fresh: #1a7f37; --fresh-bg: #dafbe1; --stale: #9a6700; --stale-bg: #fff1c2; --missing: #cf222e; --missing-bg: #ffe4e6;
  --pass: #1a7f37; --warn: #9a6700; --fail: #cf222e; --error: #8250df; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #fb8c00; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 6px 10px; z-index: 10; }
header.top { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; padding: 10px 20px; border-bottom: 1px solid var(--line); background: #f6f8fa; }
header.top .brand { font-weight: 700; margin-right: 8px; }
header.top nav ul { display: flex; gap: 14px; list-style: none; margin: 0; padding: 0; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration: none; }
header.top .who { margin-left: auto; color: var(--muted); display: flex; gap: 10px; align-items: center; }
main { padding: 16px 20px 40px; max-width: 1800px; }
h1 { font-size: 1.5rem; margin: 0.2em 0 0.6em; }
h2 { font-size: 1.15rem; margin: 1.4em 0 0.5em; }
table { border-collapse: collapse; }
table.list { width: 100%; max-width: 1200px; }
table.list th, table.list td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; }
pre { background: #f6f8fa; padding: 10px; overflow: auto; border: 1px solid var(--line); }
.muted { color: var(--muted); }
.notice { padding: 10px 12px; border: 1px solid var(--line); border-left: 5px solid var(--accent); background: #f6f8fa; margin: 12px 0; max-width: 1200px; }
.notice.error { border-left-color: var(--missing); }
.notice.secret { border-left-color: var(--stale); }
form.inline { display: inline; }
fieldset { border: 1px solid var(--line); margin: 10px 0; max-width: 900px; }
label { display: inline-block; margin: 4px 12px 4px 0; }
input[type=text], input[type=number], select, textarea { font: inherit; padding: 4px 6px; border: 1px solid #8c959f; border-radius: 4px; }
textarea { width: 100%; max-width: 700px; }
button { font: inherit; padding: 4px 12px; border: 1px solid #8c959f; border-radius: 4px; background: #f6f8fa; cursor: pointer; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger { color: var(--missing); }
.bar { display: flex; height: 14px; width: 220px; border: 1px solid var(--line); }
.bar span { display: block; height: 100%; }
.bar .f { background: var(--fresh); } .bar .s { background: #d4a72c; } .bar .m { background: var(--missing); }
.status { font-weight: 600; }
.status.fresh, .status.succeeded, .status.pass { color: var(--fresh); }
.status.stale, .status.queued, .status.warn, .status.running { color: var(--stale); }
.status.missing, .status.failed, .status.fail { color: var(--missing); }
.status.error, .status.cancelled { color: var(--error); }
.controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin: 8px 0 14px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 6px 0 12px; padding: 0; list-style: none; }
.legend li { display: flex; gap: 6px; align-items: center; }
.heat-wrap { overflow: auto; max-height: 78vh; border: 1px solid var(--line); }
table.heat { font-size: 12px; }
table.heat th { position: sticky; background: #f6f8fa; font-weight: 500; }
table.heat thead th { top: 0; z-index: 2; padding: 2px; min-width: 20px; text-align: center; }
table.heat tbody th { left: 0; z-index: 1; text-align: left; padding: 0 8px 0 4px; white-space: nowrap; max-width: 460px; overflow: hidden; text-overflow: ellipsis; border-right: 1px solid var(--line); }
table.heat td { padding: 0; border: 1px solid #fff; text-align: center; min-width: 20px; height: 18px; }
table.heat td a { display: block; color: inherit; text-decoration: none; line-height: 18px; }
.c { font-weight: 700; }
.c.f, .k.f { background: var(--fresh-bg); color: var(--fresh); }
.c.s, .k.s { background: var(--stale-bg); color: var(--stale); }
.c.m, .k.m { background: var(--missing-bg); color: var(--missing); }
.c.op, .k.op { background: #dafbe1; color: var(--pass); } .c.ow, .k.ow { background: #fff1c2; color: var(--warn); }
.c.ox, .k.ox { background: #ffe4e6; color: var(--fail); } .c.oe, .k.oe { background: #fbefff; color: var(--error); }
.c.on, .k.on { background: #f6f8fa; color: var(--muted); }
.c.q4, .k.q4 { background: #2da44e; color: #fff; } .c.q3, .k.q3 { background: #aceebb; color: #0d3a1a; }
.c.q2, .k.q2 { background: #fff1c2; color: #4d3800; } .c.q1, .k.q1 { background: #ffcfa8; color: #5c2400; }
.c.q0, .k.q0 { background: #ffb3b8; color: #5c0011; }
.k { display: inline-block; min-width: 22px; text-align: center; font-weight: 700; border: 1px solid var(--line); }
ol.gates { columns: 2; font-size: 13px; max-width: 1400px; }
.markdown { max-width: 900px; border: 1px solid var(--line); padding: 4px 14px; }
.diff .add { color: var(--fresh); } .diff .del { color: var(--missing); }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 4px 16px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
${Array.from({ length: 21 }, (_, i) => `.bar .w${i * 5} { width: ${i * 5}%; }`).join(' ')}
`;
