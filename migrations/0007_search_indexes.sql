-- Search's embedding catch-up reads a project's newest acceptances and review
-- artifacts, and probes each subject's vector by subject_id: under RLS the
-- enum comparison on subject_kind cannot be an index condition, so the unique
-- index leads with subject_id (it was subject_kind, subject_id, model).
DROP INDEX "embeddings_subject_model";--> statement-breakpoint
CREATE INDEX "acceptance_current_recent" ON "acceptance_current" USING btree ("project_id","event_id");--> statement-breakpoint
CREATE INDEX "review_job_items_recent_artifacts" ON "review_job_items" USING btree ("project_id","completed_at") WHERE artifact is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "embeddings_subject_model" ON "embeddings" USING btree ("subject_id","model","subject_kind");
--> statement-breakpoint
-- The HNSW indexes with m = 24, ef_construction = 128 (pgvector's defaults
-- are 16 and 64): on 100,000 embedder vectors of corpus text, recall@10 0.95
-- is reached at ef_search 150 instead of 300, and queries are faster for it;
-- the build takes about 2.4x as long (BENCHMARKS.md, Search). Building one
-- over many rows wants maintenance_work_mem of about 1 GB per 100,000 × 384.
DROP INDEX embeddings_hnsw_384;
--> statement-breakpoint
CREATE INDEX embeddings_hnsw_384 ON embeddings
  USING hnsw ((embedding::vector(384)) vector_cosine_ops) WITH (m = 24, ef_construction = 128) WHERE dims = 384;
--> statement-breakpoint
DROP INDEX embeddings_hnsw_768;
--> statement-breakpoint
CREATE INDEX embeddings_hnsw_768 ON embeddings
  USING hnsw ((embedding::vector(768)) vector_cosine_ops) WITH (m = 24, ef_construction = 128) WHERE dims = 768;
--> statement-breakpoint
DROP INDEX embeddings_hnsw_1024;
--> statement-breakpoint
CREATE INDEX embeddings_hnsw_1024 ON embeddings
  USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WITH (m = 24, ef_construction = 128) WHERE dims = 1024;
--> statement-breakpoint
DROP INDEX embeddings_hnsw_1536;
--> statement-breakpoint
CREATE INDEX embeddings_hnsw_1536 ON embeddings
  USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WITH (m = 24, ef_construction = 128) WHERE dims = 1536;
