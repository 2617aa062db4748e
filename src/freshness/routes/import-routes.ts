// POST …/imports: baselines accepted by another tool (a local Commonplace
// review store), one all-or-nothing batch per call. Org admins only: an
// import writes acceptance nobody reviewed here.
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, problems } from '../../platform/schemas.js';
import { tenantContext } from '../../tenancy/context.js';
import { importBaselines } from '../imports.js';
import { ModelPartition, RepoPath, Sha256 } from '../names.js';
import { ProjectParam } from './schemas.js';

const Nullable = (max: number) => z.string().min(1).max(max).nullable().default(null);

export const ImportBaselineSchema = z.object({
  note_path: RepoPath,
  note_sha256: Sha256,
  gate_path: RepoPath,
  gate_sha256: Sha256,
  model_partition: ModelPartition.openapi({ description: 'The partition to record under (after renames); resolved through the registry like any write' }),
  source_partition: z.string().min(1).max(200).openapi({ description: 'The partition as the source store named it' }),
  revision: z.number().int().min(1).openapi({ description: 'The baseline\'s revision in the source store' }),
  outcome: z.enum(['pass', 'warn', 'fail']).nullable(),
  result_kind: z.enum(['verdict', 'report']).default('verdict'),
  accepted_at: z.string().datetime({ offset: true }).openapi({ description: 'When the source accepted it' }),
  job_id: Nullable(100).openapi({ description: 'The source\'s review job' }),
  runner: Nullable(200),
  runner_model: Nullable(200),
  runner_effort: Nullable(64),
}).strict().openapi('ImportBaseline');

export const ImportBody = z.object({
  source: z.object({
    kind: z.enum(['commonplace']),
    file_name: z.string().min(1).max(255).openapi({ description: 'The store file\'s name (no folders)' }),
    sha256: Sha256.openapi({ description: 'SHA-256 of the store file' }),
  }).strict(),
  dry_run: z.boolean().default(false).openapi({ description: 'Say what would happen; record and register nothing' }),
  baselines: z.array(ImportBaselineSchema).min(1).max(5000),
}).strict().openapi('ImportRequest');

export const ImportResult = z.object({
  dry_run: z.boolean(),
  model_partitions: z.array(z.object({ requested: z.string(), model_partition: z.string(), resolved_by: z.string() })),
  warnings: z.array(z.string()),
  counts: z.object({ received: z.number().int(), imported: z.number().int(), skipped: z.number().int(), refused: z.number().int() }),
  reasons: z.record(z.string(), z.number().int()).openapi({ description: 'already_imported, already_accepted (skipped); pair_already_accepted (refused)' }),
  refused: z.array(z.object({
    index: z.number().int(), note_path: z.string(), gate_path: z.string(), model_partition: z.string(), reason: z.string(), detail: z.string(),
  })),
  texts_missing: z.number().int().openapi({ description: 'Dry run: texts the batch names that the server does not hold yet' }),
}).openapi('ImportResult');

const importRoute = createRoute({
  method: 'post', path: '/projects/{project}/imports', operationId: 'importBaselines', tags: ['freshness'],
  summary: 'Record a batch of baselines from a local Commonplace store as import acceptances; idempotent by source key, all or nothing (org:admin)',
  request: { params: ProjectParam, ...jsonBody(ImportBody) },
  responses: { 200: { description: 'What was imported, skipped and refused', content: jsonContent(ImportResult) }, ...problems(404, 409) },
});

export const importRoutes = createRouter()
  .openapi(importRoute, async (c) => {
    const ctx = tenantContext(c, 'org:admin');
    return c.json(await importBaselines(ctx, c.req.valid('param').project, c.req.valid('json')), 200);
  });
