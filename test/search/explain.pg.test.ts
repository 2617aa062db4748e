// On PostgreSQL the vector ranking goes through the partial HNSW index of
// the project's dimension (the expression and predicate match the index),
// both as the bare nearest-neighbour query and inside the app's own hybrid
// statement, where the subject filter must stay outside the index scan.
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { FeatureHashEmbedder } from '../../src/search/embedder.js';
import { hnswSettings, hybridStatement } from '../../src/search/search.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';
import { seedEveryTable } from '../support/seed.js';

let t: TestDatabase;
let projectId: string;
beforeAll(async () => {
  t = await openTestDatabase();
  projectId = (await seedEveryTable(t.db, 'explain')).projectId;
});
afterAll(() => t.close());

const vector = new FeatureHashEmbedder().vector('writing prompt');

async function plan(statement: SQL): Promise<string> {
  const rows = await t.db.transaction(async (tx) => {
    // The seeded table is tiny; without this a sequential scan is cheaper.
    await tx.execute(sql`set local enable_seqscan = off`);
    await tx.execute(hnswSettings(10));
    return rowsOf<{ 'QUERY PLAN': string }>(await tx.execute(sql`explain ${statement}`));
  });
  return rows.map((p) => p['QUERY PLAN']).join('\n');
}

describe('the vector ranking', () => {
  it('uses embeddings_hnsw_384', async () => {
    const q = `[${vector.join(',')}]`;
    expect(await plan(sql`
      select subject_id from embeddings e
      where e.project_id = ${projectId} and e.dims = 384 and e.model = 'test'
      order by (e.embedding::vector(384)) <=> ${q}::vector(384) limit 10`)).toMatch(/Index Scan using embeddings_hnsw_384/);
  });

  it('uses it in the app statement, every mode and filter, with the subject filter applied to the candidates afterwards', async () => {
    for (const req of [
      { query: 'writing prompt', k: 10, mode: 'vector' as const },
      { query: 'writing prompt', k: 10, mode: 'hybrid' as const, gate_path: 'g.md', outcome: 'pass' as const, path_prefix: 'kb/' },
      { query: 'writing prompt', k: 25, mode: 'hybrid' as const, subject: 'snapshot' as const },
    ]) {
      const text = await plan(hybridStatement(projectId, req, null, 'test', 384, vector));
      expect(text, JSON.stringify(req)).toMatch(/Index Scan using embeddings_hnsw_384/);
      // The index scan's own filter is the project and model only: no subplan inside it.
      const scan = text.split('\n').findIndex((l) => l.includes('Index Scan using embeddings_hnsw_384'));
      const scanFilter = text.split('\n').slice(scan + 1).find((l) => /^\s*(Filter|->)/.test(l)) ?? '';
      expect(scanFilter, text).not.toMatch(/SubPlan|exists/i);
    }
  });
});
