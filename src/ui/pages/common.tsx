// Small pieces several pages share.
import type { Child } from 'hono/jsx';

export function ErrorBody(props: { status: number; title: string; detail: string; children?: Child }) {
  return (
    <>
      <h1>{props.title}</h1>
      <p class="notice error" role="alert">{props.detail}</p>
      {props.children}
      <p><a href="/ui">Back to projects</a></p>
    </>
  );
}

export function Breadcrumbs(props: { items: [string, string | null][] }) {
  return (
    <nav aria-label="Breadcrumb"><p>
      {props.items.map(([label, href], i) => <>{i > 0 && ' / '}{href ? <a href={href}>{label}</a> : <span aria-current="page">{label}</span>}</>)}
    </p></nav>
  );
}

export function ProjectTabs(props: { slug: string; current: 'heatmap' | 'queue' | 'registry'; admin: boolean }) {
  const base = `/ui/projects/${encodeURIComponent(props.slug)}`;
  const tab = (href: string, key: string, label: string) => <li><a href={href} aria-current={props.current === key ? 'page' : undefined}>{label}</a></li>;
  return (
    <nav aria-label="Project"><ul class="legend">
      {tab(base, 'heatmap', 'Heatmap')}
      {tab(`${base}/queue`, 'queue', 'Queue')}
      {tab(`${base}/registry`, 'registry', props.admin ? 'Registry (edit)' : 'Registry')}
    </ul></nav>
  );
}
