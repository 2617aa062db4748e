// Embedders: text → unit vectors. On Workers, the Workers AI binding (a
// semantic model); everywhere else, and as the embedded default, signed
// feature hashing: real, deterministic, offline, and honest about being
// lexical similarity rather than meaning.
export interface Embedder {
  /** Recorded with every vector; a vector of another model is refused. */
  model: string;
  dims: 384 | 768 | 1024 | 1536;
  embed(texts: string[]): Promise<number[][]>;
}

export const FEATURE_HASH_MODEL = 'gatehouse/feature-hash-v1';

/** FNV-1a, 32 bits: a fast, stable hash for feature indices and signs. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Signed feature hashing (the "hashing trick") of word unigrams and
 * character trigrams into 384 dimensions, L2-normalised. Words carry the
 * topic, trigrams tolerate inflection and typos. Cosine similarity of two
 * vectors approximates overlap of their vocabularies: lexical, not semantic.
 */
export class FeatureHashEmbedder implements Embedder {
  readonly model = FEATURE_HASH_MODEL;
  readonly dims = 384 as const;

  vector(text: string): number[] {
    const v = new Float64Array(this.dims);
    const words = text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
    const add = (feature: string, weight: number) => {
      const h = fnv1a(feature);
      v[h % this.dims] += h & 0x80000000 ? -weight : weight;
    };
    for (const word of words) {
      add(`w:${word}`, 1);
      const padded = `^${word}$`;
      for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, 0.5);
    }
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    // An empty text gets a fixed unit vector rather than a zero one (cosine needs a norm).
    if (norm === 0) return Array.from({ length: this.dims }, (_, i) => (i === 0 ? 1 : 0));
    return Array.from(v, (x) => x / norm);
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.vector(t));
  }
}

interface WorkersAi { run(model: string, input: { text: string[] }): Promise<{ data: number[][] }> }

/** Workers AI (bge-small-en-v1.5, 384 dimensions), when the Worker has the AI binding. */
export class WorkersAiEmbedder implements Embedder {
  readonly dims = 384 as const;
  constructor(private readonly ai: WorkersAi, readonly model = '@cf/baai/bge-small-en-v1.5') {}

  async embed(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += 50) {
      const { data } = await this.ai.run(this.model, { text: texts.slice(i, i + 50) });
      out.push(...data);
    }
    return out;
  }
}
