// A minimal valid value for a JSON Schema from the OpenAPI document: the
// required fields only, each with the simplest value its constraints allow.
type Schema = Record<string, any>;

export function resolveRef(doc: Schema, schema: Schema): Schema {
  let current = schema;
  while (current && typeof current.$ref === 'string') {
    const path = current.$ref.replace(/^#\//, '').split('/');
    current = path.reduce((node: Schema, key: string) => node[key], doc);
  }
  return current;
}

export function sampleFor(doc: Schema, input: Schema, hint = 'matrix'): unknown {
  const schema = resolveRef(doc, input);
  if (!schema) return null;
  if (schema.default !== undefined) return schema.default;
  for (const key of ['anyOf', 'oneOf']) {
    if (Array.isArray(schema[key])) {
      const choice = schema[key].map((s: Schema) => resolveRef(doc, s)).find((s: Schema) => s.type !== 'null');
      return choice ? sampleFor(doc, choice, hint) : null;
    }
  }
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...schema.allOf.map((s: Schema) => sampleFor(doc, s, hint)));
  if (schema.enum) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      // With nothing required (a PATCH), one field: an empty change is itself refused.
      const keys: string[] = schema.required?.length ? schema.required : Object.keys(schema.properties ?? {}).slice(0, 1);
      for (const key of keys) out[key] = sampleFor(doc, schema.properties?.[key] ?? {}, key);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(schema.minItems ?? 0, 0) }, () => sampleFor(doc, schema.items ?? {}, hint));
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return true;
    case 'string': {
      if (schema.format === 'uuid') return crypto.randomUUID();
      if (schema.format === 'email') return 'matrix@example.org';
      if (schema.format === 'date-time') return new Date().toISOString();
      if (schema.pattern && /\^\[a-z0-9\]/.test(schema.pattern)) return `${hint.replace(/[^a-z0-9]/g, '')}-${Math.random().toString(36).slice(2, 8)}`;
      if (schema.pattern && /\^\[0-9a-f\]\{64\}/.test(schema.pattern)) return 'a'.repeat(64);
      return `${hint}-sample`.padEnd(schema.minLength ?? 1, 'x');
    }
    default:
      return null;
  }
}
