// Hostile cursors and free-form JSON, and where the OpenAPI document takes
// them: every `cursor` query parameter, and every request field that is a
// free-form object (additionalProperties unconstrained). Shared by the
// deterministic hostile-input test and the fuzz generator, so a new route
// that takes either is covered without naming it.
import { resolveRef, sampleFor } from './openapi-sample.js';
import type { Operation } from './sample-request.js';

type Schema = Record<string, any>;

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
/** A cursor made the way the API makes them (base64url of JSON), holding `value`. */
export const cursorOf = (value: unknown) => b64(JSON.stringify(value));

/** Cursors no listing ever issues, whatever it keeps in them: each must be a 422 invalid_cursor. */
export const invalidForEveryListing: string[] = [
  '!!!', '%%%', 'a', '====', '\u00e9', // not base64
  b64('not json'), b64('{"a":'), b64('\u00ff'), btoa('\u00ff\u00fe'), // base64, but not (UTF-8) JSON
  cursorOf({ a: 1 }), cursorOf([1, 2]), cursorOf(null), cursorOf(true), cursorOf([]), // JSON of the wrong type or shape
  b64('1e400'), cursorOf(1.5), cursorOf(-1), cursorOf('a\u0000'), cursorOf(['x', 'y', 'z', 'w']),
];

/** Cursors of the right form for one listing and the wrong one for another ("x|y", a number for a string). */
export const wrongForSomeListing: string[] = [
  'x|y', cursorOf('x|y'), cursorOf(5), cursorOf('5'), cursorOf('not-a-uuid'), cursorOf(2 ** 60), cursorOf('not json'),
  cursorOf(JSON.stringify(['a', 'b'])), cursorOf(JSON.stringify([1, 2, 3])), cursorOf(JSON.stringify('x')),
  cursorOf(`2026-02-30 00:00:00+00|${crypto.randomUUID()}`), cursorOf(`2026-01-01 25:00:00+00|${crypto.randomUUID()}`),
  cursorOf(`2026-01-01 00:00:00+00|x`), cursorOf(`x|${crypto.randomUUID()}`), cursorOf('a|b|c'), cursorOf(crypto.randomUUID()),
];

/** `{"d":{"d":…}}`, `depth` objects deep. */
export function deepObject(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { d: value };
  return value;
}

/** The same as JSON text, built without JSON.stringify (whose recursion a few thousand levels can overflow). */
export const deepObjectJson = (depth: number) => `${'{"d":'.repeat(depth - 1)}{"leaf":1}${'}'.repeat(depth - 1)}`;

/** Free-form objects no field should take, as JSON text: too deep (objects, arrays) or too big. */
export const hostileFreeFormJson: string[] = [
  deepObjectJson(5_000), `{"a":${'['.repeat(5_000)}${']'.repeat(5_000)}}`, deepObjectJson(64),
  JSON.stringify({ blob: 'x'.repeat(200_000) }), JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]))),
];

/** A string that stands for hostileFreeFormJson[i] in a value until withRawJson puts the text in its place. */
export const rawJsonMarker = (i: number) => `\u0001hostile-json-${i}\u0001`;

/** JSON text with every rawJsonMarker replaced by its raw JSON text, and whether there was one. */
export function replaceRawJson(text: string): { text: string; replaced: boolean } {
  let replaced = false;
  const out = text.replace(/"\\u0001hostile-json-(\d+)\\u0001"/g, (_, i: string) => {
    replaced = true;
    return hostileFreeFormJson[Number(i)];
  });
  return { text: out, replaced };
}

/** JSON.stringify, with every rawJsonMarker replaced by its raw JSON text. */
export function withRawJson(value: unknown): string | undefined {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : replaceRawJson(text).text;
}

const neverIssued = new Set(invalidForEveryListing);

/** Whether a URL carries exactly one cursor, and it is one no listing issues. */
export function carriesInvalidCursor(url: string): boolean {
  const cursors = new URL(url, 'http://fuzz.invalid').searchParams.getAll('cursor');
  return cursors.length === 1 && neverIssued.has(cursors[0]);
}

export const takesCursor = (doc: Schema, o: Operation) =>
  (o.op.parameters ?? []).some((p: Schema) => { const r = resolveRef(doc, p); return r.in === 'query' && r.name === 'cursor'; });

/** A schema for any JSON object at all: what the generator and the tests treat as free-form. */
export function isFreeForm(doc: Schema, input: Schema): boolean {
  const s = resolveRef(doc, input) ?? {};
  const extra = s.additionalProperties;
  return s.type === 'object' && !s.properties && (extra === true || (extra && typeof extra === 'object' && Object.keys(extra).length === 0));
}

/** Every free-form object field of a request body schema, as a path ('*' for "an element of this array"). */
export function freeFormPaths(doc: Schema, input: Schema, at: string[] = [], seen = new Set<Schema>()): string[][] {
  const s = resolveRef(doc, input) ?? {};
  if (seen.has(s)) return [];
  if (isFreeForm(doc, s)) return [at];
  const next = new Set(seen).add(s);
  const parts = [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])].flatMap((x: Schema) => freeFormPaths(doc, x, at, next));
  const props = Object.entries(s.properties ?? {}).flatMap(([k, v]) => freeFormPaths(doc, v as Schema, [...at, k], next));
  const items = s.type === 'array' && s.items ? freeFormPaths(doc, s.items, [...at, '*'], next) : [];
  return [...parts, ...props, ...items];
}

/** Where a problem names the path: body.a.0.b. */
export const fieldName = (path: string[]) => ['body', ...path.map((k) => (k === '*' ? '0' : k))].join('.');

/** `body` with `value` put at `path`, filling in the minimal valid objects and one-element arrays on the way. */
export function withValueAt(doc: Schema, schema: Schema, body: unknown, path: string[], value: unknown): unknown {
  const s = resolveRef(doc, schema) ?? {};
  if (path.length === 0) return value;
  const [key, ...rest] = path;
  if (key === '*') {
    const list = Array.isArray(body) && body.length ? [...body] : [sampleFor(doc, s.items ?? {})];
    list[0] = withValueAt(doc, s.items ?? {}, list[0], rest, value);
    return list;
  }
  const child = s.properties?.[key] ?? {};
  const base = body && typeof body === 'object' && !Array.isArray(body) ? body as Record<string, unknown> : sampleFor(doc, s) as Record<string, unknown>;
  return { ...base, [key]: withValueAt(doc, child, base[key] ?? sampleFor(doc, child, key), rest, value) };
}
