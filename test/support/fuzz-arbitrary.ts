// fast-check arbitraries derived from the OpenAPI document's JSON Schemas,
// with hostile values mixed in at every node. Mostly-valid values reach the
// handlers and the database; hostile ones probe validation, the drivers and
// error mapping. The generator never needs to know what a route does.
import fc from 'fast-check';
import { hostileFreeFormJson, isFreeForm, rawJsonMarker } from './hostile-json.js';
import { resolveRef } from './openapi-sample.js';

type Schema = Record<string, any>;

const deep = (depth: number, leaf: unknown): unknown => {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? { d: value } : [value];
  return value;
};

/** Strings chosen to break things: sizes, encodings, paths, SQL and JSON metacharacters. */
export const hostileStrings: string[] = [
  '', ' ', '\t', '\r\n', 'x'.repeat(70_000), 'é'.repeat(20_000),
  '\u0000', 'a\u0000b', '\uD800', '\uDFFF', 'a\uD83Db', '\uDE00\uD83D', // NUL, lone and swapped surrogates
  '\u202Eevil.md', '\u200F\u05D0\u05D1', 'e\u0301\u0301\u0301\u0301', '\u0065\u0301', '\u00e9', // RTL, combining, NFC vs NFD
  '\uFEFFbom', '\u200B', '\u2028\u2029', '\u001b[31m', '\u007f',
  // Characters every path field refuses (issue 16, finding 10): isolates, zero-width joiners, C1 controls (U+009B is CSI).
  'kb/\u2066x\u2069.md', 'kb/a\u200Db.md', 'kb/\u2060.md', 'kb/\u0085.md', 'kb/\u009b31m.md', '🏳️‍🌈', '𝕏', '\uFFFF', '\uFFFE',
  '..', '.', '../../etc/passwd', 'a/../b', 'a/./b', 'a//b', '/etc/passwd', '/', 'C:\\Windows\\win.ini', '\\\\srv\\share', 'a\\b',
  '%2e%2e', '%2e%2e%2f', '..%2F..%2F', '%2F', '%00', '%252e%252e', '..;/', 'file:///etc/passwd', '~/x',
  "' or 1=1 --", "'; drop table orgs; --", "\\'; select pg_sleep(0); --", '$1', '%', '_', '*', '?',
  '"', '\\', '{"a":1}', '[', '}', '\\u0000', '${7*7}', '{{7*7}}', '<script>alert(1)</script>', '__proto__', 'constructor',
  'null', 'true', '-1', '1e999', 'NaN', '-0', '0x10', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'A'.repeat(64), 'g'.repeat(64), '0'.repeat(64), 'a'.repeat(65), 'a'.repeat(129), 'a'.repeat(201),
];

/** Values of the wrong type (or shape) for almost any field. */
export const hostileValues: unknown[] = [
  null, true, false, 0, -1, 0.5, -0, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53 + 2, -(2 ** 63), 1e308, Number.MIN_VALUE,
  [], {}, [null], [[]], { '': null }, { __proto__: null, constructor: 1 }, Array.from({ length: 60_000 }, () => 'a'),
  deep(400, 'x'), deep(1_000, null), Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i])),
];

export const hostileString = fc.constantFrom(...hostileStrings);
export const hostile: fc.Arbitrary<unknown> = fc.oneof(hostileString, fc.constantFrom(...hostileValues), fc.string({ unit: 'binary', maxLength: 24 }));

/**
 * Values the live fixtures use (paths, hashes, slugs, ids, names): drawn
 * into any string field now and then, so requests get past "not found" and
 * into the code that acts on real rows.
 */
let known: string[] = [];
export function useKnownValues(values: string[]) {
  known = [...new Set(values)];
}

function stringArb(schema: Schema): fc.Arbitrary<string> {
  const free = freeStringArb(schema);
  return known.length ? fc.oneof({ arbitrary: free, weight: 2 }, { arbitrary: fc.constantFrom(...known), weight: 1 }) : free;
}

function freeStringArb(schema: Schema): fc.Arbitrary<string> {
  const maxLength = Math.min(schema.maxLength ?? 40, 80);
  const minLength = Math.min(schema.minLength ?? 0, maxLength);
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4102444800000) }).map((d) => d.toISOString());
  if (schema.format === 'email') return fc.emailAddress();
  if (schema.pattern) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
    } catch {
      // A pattern fast-check cannot read: fall through to free text.
    }
  }
  return fc.oneof(
    fc.string({ unit: 'grapheme-ascii', minLength, maxLength }),
    fc.string({ unit: 'binary', minLength, maxLength }),
    fc.string({ unit: fc.constantFrom('a', 'é', '/', '-', '.', ' ', '\u0301'), minLength, maxLength }),
  );
}

/** The schema's own values: the right type, mostly within its constraints. */
function validArb(doc: Schema, schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const next = (s: Schema) => schemaArb(doc, s, depth + 1);
  for (const key of ['anyOf', 'oneOf']) {
    if (Array.isArray(schema[key])) return fc.oneof(...schema[key].map((s: Schema) => next(resolveRef(doc, s))));
  }
  if (Array.isArray(schema.allOf)) {
    return fc.tuple(...schema.allOf.map((s: Schema) => next(resolveRef(doc, s)))).map((parts) => Object.assign({}, ...parts.filter((p) => p && typeof p === 'object')));
  }
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      return stringArb(schema);
    case 'integer': {
      // Edges as well as the middle: without a maximum, any size is valid by the schema.
      const min = schema.minimum ?? -(2 ** 53 - 1);
      const max = schema.maximum ?? 2 ** 53 - 1;
      const edges = [min, max, min + 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 1e20, -(2 ** 31) - 1].filter((n) => n >= min && n <= max);
      return fc.oneof({ arbitrary: fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 1000) }), weight: 3 }, fc.constantFrom(...edges));
    }
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(next(resolveRef(doc, schema.items ?? {})), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object': {
      const props = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, next(resolveRef(doc, s as Schema))]));
      const record = fc.record(props, { requiredKeys: (schema.required ?? []).filter((k: string) => k in props) });
      if (!schema.additionalProperties) return record;
      const open = fc.tuple(record, fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 })).map(([r, extra]) => ({ ...extra, ...r }));
      if (!isFreeForm(doc, schema)) return open;
      // Any free-form object field (telemetry, metadata…) also gets one far too deep or too big, as a
      // marker the request replaces with the raw JSON text (JSON.stringify would overflow on it).
      const overLimits = fc.integer({ min: 0, max: hostileFreeFormJson.length - 1 }).map(rawJsonMarker);
      return fc.oneof({ arbitrary: open, weight: 3 }, { arbitrary: overLimits, weight: 2 });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A value for `schema`: valid most of the time, hostile (wrong type, huge, broken text) otherwise. */
export function schemaArb(doc: Schema, input: Schema, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolveRef(doc, input) ?? {};
  if (depth > 6) return hostile;
  return fc.oneof({ arbitrary: validArb(doc, schema, depth), weight: 5 }, { arbitrary: hostile, weight: 1 });
}

/**
 * Raw body texts a JSON.stringify would never produce: duplicate keys (the
 * last one wins in JSON.parse, so a valid first value can hide a hostile
 * second one), prototype keys, truncation, deep nesting, byte-order marks
 * and bytes that are not UTF-8.
 */
export function rawBodyArb(doc: Schema, schema: Schema): fc.Arbitrary<string | Uint8Array> {
  const resolved = resolveRef(doc, schema) ?? {};
  const keys = Object.keys(resolved.properties ?? {});
  const valid = validArb(doc, resolved, 0);
  const duplicate = fc.tuple(valid, keys.length ? fc.constantFrom(...keys) : fc.constant('x'), hostile).map(([v, key, bad]) => {
    const text = JSON.stringify(v ?? {});
    const inner = text.startsWith('{') && text.length > 2 ? text.slice(1, -1) : '';
    return `{${inner}${inner ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(bad) ?? 'null'}}`;
  });
  const shadow = fc.tuple(valid, keys.length ? fc.constantFrom(...keys) : fc.constant('x'), hostile).map(([v, key, bad]) => {
    const text = JSON.stringify(v ?? {});
    const inner = text.startsWith('{') && text.length > 2 ? `,${text.slice(1, -1)}` : '';
    return `{${JSON.stringify(key)}:${JSON.stringify(bad) ?? 'null'}${inner}}`;
  });
  const proto = valid.map((v) => `{"__proto__":{"role":"owner","admin":true},"constructor":{"prototype":{"x":1}}${JSON.stringify(v ?? {}).replace(/^\{/, ',').replace(/^,\}$/, '}')}`);
  const broken = valid.map((v) => JSON.stringify(v ?? {})).chain((t) => fc.integer({ min: 0, max: Math.max(0, t.length - 1) }).map((n) => t.slice(0, n)));
  const fixed = fc.constantFrom<string | Uint8Array>(
    '', 'null', '[]', '0', '"x"', 'true', '{}{}', '{"a":1}garbage', '\uFEFF{}', '{"a":1,}', "{'a':1}", '{a:1}', '{"a":NaN}', '{"a":1e999}',
    '['.repeat(60_000) + ']'.repeat(60_000), '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000), '{"\\u0000":"\\ud800"}',
    new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), new Uint8Array([0xc0, 0xaf, 0x2e, 0x2e]),
  );
  return fc.oneof(duplicate, shadow, proto, broken, fixed);
}
