// One fuzzed HTTP request per draw, for one operation of the OpenAPI
// document: path parameters from live fixtures, from their schema, hostile,
// or raw path tricks; query parameters likewise (plus repeats and unknown
// ones); a JSON body from the schema with hostile leaves, or a raw text.
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../../src/platform/db.js';
import { hostileString, rawBodyArb, schemaArb } from './fuzz-arbitrary.js';
import { invalidForEveryListing, replaceRawJson, wrongForSomeListing } from './hostile-json.js';
import { resolveRef } from './openapi-sample.js';
import type { Operation } from './sample-request.js';

export interface FuzzRequest {
  url: string;
  body?: string | Uint8Array;
  headers: Record<string, string>;
  /** The body holds a free-form object over the depth or size limit: it must be refused. */
  overLimits?: boolean;
}

/** Tampered cursors of every kind: not base64, not JSON, the wrong type or shape, another listing's form. */
const tamperedCursor = fc.constantFrom(...invalidForEveryListing, ...wrongForSomeListing);

/** Tricks placed in a path unencoded: URL normalisation may move the request to another route. */
const rawPathTricks = ['..', '%2e%2e', '%2E%2E/%2e%2e', '.%2e', '..%2F..%2Forg', '%2F', 'a%2Fb', '%00', '%', '%zz', '/etc/passwd', '//', '.', '\\..\\', '%5c', '?x=1', '%23frag', ';x', '%20'];

/** Percent-encoding that also carries lone surrogates (as their WTF-8 bytes, which no UTF-8 decoder accepts). */
export function enc(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text].map((ch) => {
      const u = ch.charCodeAt(0);
      if (ch.length > 1 || u < 0xd800 || u > 0xdfff) return encodeURIComponent(ch);
      return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    }).join('');
  }
}

export function requestArb(doc: any, o: Operation, fixtures: Record<string, string>): fc.Arbitrary<FuzzRequest> {
  const params = (o.op.parameters ?? []).map((p: any) => resolveRef(doc, p));
  const pathParams = params.filter((p: any) => p.in === 'path');
  const queryParams = params.filter((p: any) => p.in === 'query');
  const segment = (p: any) => fc.oneof(
    { arbitrary: fc.constant(fixtures[p.name]).map(enc), weight: 6 },
    { arbitrary: schemaArb(doc, p.schema ?? {}).map(enc), weight: 2 },
    { arbitrary: hostileString.map(enc), weight: 2 },
    { arbitrary: fc.constantFrom(...rawPathTricks), weight: 1 },
  );
  const pathArb = fc.tuple(...pathParams.map(segment)).map((values) => {
    let i = 0;
    return o.path.replace(/\{\w+\}/g, () => values[i++] as string);
  });
  const queryEntry = (p: any) => fc.option(fc.oneof(
    { arbitrary: schemaArb(doc, p.schema ?? {}).map((v) => `${p.name}=${enc(v)}`), weight: 4 },
    // Every operation with a cursor parameter (found from the document) gets tampered cursors.
    ...(p.name === 'cursor' ? [{ arbitrary: tamperedCursor.map((v) => `cursor=${enc(v)}`), weight: 4 }] : []),
    { arbitrary: hostileString.map((v) => `${p.name}=${enc(v)}`), weight: 1 },
    { arbitrary: fc.tuple(schemaArb(doc, p.schema ?? {}), schemaArb(doc, p.schema ?? {})).map(([a, b]) => `${p.name}=${enc(a)}&${p.name}=${enc(b)}`), weight: 1 },
    { arbitrary: fc.constantFrom(`${p.name}`, `${p.name}=`, `${p.name}[]=1`, `${p.name}=%00`, `${p.name}=%zz`), weight: 1 },
  ), { freq: p.required ? 8 : 2 });
  const queryArb = fc.tuple(
    fc.tuple(...queryParams.map(queryEntry)),
    fc.option(fc.constantFrom('unknown=1', '__proto__[x]=1', 'limit=-1', 'cursor=' + enc('{"a":1}')), { freq: 6 }),
  ).map(([entries, extra]) => [...entries, extra].filter((e): e is string => !!e).join('&'));

  const schema = o.op.requestBody?.content?.['application/json']?.schema;
  const bodyArb: fc.Arbitrary<{ body?: string | Uint8Array; type?: string; overLimits?: boolean }> = schema
    ? fc.oneof(
      { arbitrary: schemaArb(doc, schema).map((v) => {
        const { text, replaced } = replaceRawJson(JSON.stringify(v) ?? 'null');
        return { body: text, type: 'application/json', overLimits: replaced };
      }), weight: 12 },
      { arbitrary: rawBodyArb(doc, schema).map((body) => ({ body, type: 'application/json' })), weight: 3 },
      { arbitrary: fc.tuple(schemaArb(doc, schema), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', ''))
        .map(([v, type]) => ({ body: JSON.stringify(v) ?? '', type })), weight: 1 },
    )
    : o.method === 'GET' ? fc.constant({})
      : fc.oneof({ arbitrary: fc.constant({}), weight: 8 }, { arbitrary: hostileString.map((body) => ({ body, type: 'application/json' })), weight: 1 });

  const idempotency = fc.option(fc.oneof(fc.uuid(), hostileString.filter((s) => /^[\x20-\x7e]*$/.test(s))), { freq: 4 });
  return fc.record({ path: pathArb, query: queryArb, body: bodyArb, key: idempotency }).map(({ path, query, body, key }) => {
    const headers: Record<string, string> = {};
    if (body.type) headers['content-type'] = body.type;
    if (key !== null) headers['idempotency-key'] = key;
    return { url: query ? `${path}?${query}` : path, body: body.body, headers, ...(body.overLimits ? { overLimits: true } : {}) };
  });
}

/** The operations a URL reaches after normalisation (the fuzzed one, or another one a path trick moved it to). */
export function routesFor(operations: Operation[], method: string, url: string): Operation[] {
  const pathname = new URL(url, 'http://fuzz.invalid').pathname;
  return operations.filter((o) => o.method === method && new RegExp(`^${o.path.replace(/\{\w+\}/g, '[^/]*')}$`).test(pathname));
}

/**
 * A transactional write counter for the test database: a row trigger on
 * every table bumps one counter row, in the writing transaction (so a
 * rolled-back write leaves no trace, exactly as it leaves no row). Reading it
 * is one tiny query, cheap enough to run after every fuzzed request. Stamping
 * api_tokens.last_used_at while verifying a token is bookkeeping, not a
 * write, and is not counted. An Idempotency-Key is claimed (a row) before the
 * handler runs and released after a failure, by design, so that table is
 * checked by its row count instead. Test databases only.
 */
export async function installWriteCounter(db: Database): Promise<() => Promise<string>> {
  const tables = rowsOf<{ t: string }>(await db.execute(sql`
    select table_name as t from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like '%migrations%' and table_name not in ('fuzz_writes', 'idempotency_keys') order by 1`)).map((r) => r.t);
  await db.execute(sql.raw('create table if not exists fuzz_writes (n bigint not null)'));
  await db.execute(sql.raw('insert into fuzz_writes select 0 where not exists (select 1 from fuzz_writes)'));
  await db.execute(sql.raw(`
    create or replace function fuzz_count_write() returns trigger language plpgsql security definer as $$
    begin
      if tg_table_name = 'api_tokens' and tg_op = 'UPDATE' and (to_jsonb(new) - 'last_used_at') = (to_jsonb(old) - 'last_used_at') then
        return null;
      end if;
      update fuzz_writes set n = n + 1;
      return null;
    end $$;`));
  for (const t of tables) {
    await db.execute(sql.raw(`create trigger fuzz_count_write after insert or update or delete on "${t}" for each row execute function fuzz_count_write()`));
  }
  // The count proves the triggers are in place: a fixture write must move it.
  const statement = sql.raw(`select n::text || ' ' || (select count(*) from idempotency_keys)::text as n from fuzz_writes`);
  return async () => rowsOf<{ n: string }>(await db.execute(statement))[0].n;
}
