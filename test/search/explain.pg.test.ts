// On PostgreSQL the vector ranking goes through the partial HNSW index of
// the project's dimension (the expression and predicate match the index).
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { FeatureHashEmbedder } from '../../src/search/embedder.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';
import { seedEveryTable } from '../support/seed.js';

let t: TestDatabase;
let projectId: string;
beforeAll(async () => {
  t = await openTestDatabase();
  projectId = (await seedEveryTable(t.db, 'explain')).projectId;
});
afterAll(() => t.close());

describe('the vector ranking', () => {
  it('uses embeddings_hnsw_384', async () => {
    const q = `[${new FeatureHashEmbedder().vector('writing prompt').join(',')}]`;
    const plan = await t.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      return rowsOf<{ 'QUERY PLAN': string }>(await tx.execute(sql`explain
        select subject_id from embeddings e
        where e.project_id = ${projectId} and e.dims = 384 and e.model = 'test'
        order by (e.embedding::vector(384)) <=> ${q}::vector(384) limit 10`));
    });
    expect(plan.map((p) => p['QUERY PLAN']).join('\n')).toMatch(/Index Scan using embeddings_hnsw_384/);
  });
});
