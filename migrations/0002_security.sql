-- Row-level security: the defence behind every app-level tenant filter.
-- Requests run as gatehouse_app (NOLOGIN, no BYPASSRLS) inside a transaction
-- that sets app.org_id with set_config(..., true); the policies below then
-- show and accept only that org's rows. With no org set, nothing is visible.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gatehouse_app') THEN
    CREATE ROLE gatehouse_app NOLOGIN NOINHERIT;
  END IF;
END
$$;
--> statement-breakpoint
-- The connecting role must be allowed to SET ROLE gatehouse_app (PG16+ no
-- longer implies it for the role's creator; a superuser needs nothing).
DO $$
BEGIN
  EXECUTE format('GRANT gatehouse_app TO %I', current_user);
EXCEPTION WHEN others THEN
  RAISE NOTICE 'could not grant gatehouse_app to %: %', current_user, SQLERRM;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION gatehouse_current_org() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO gatehouse_app;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION gatehouse_current_org() TO gatehouse_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON
  orgs, users, org_memberships, groups, group_memberships, projects, api_tokens,
  idempotency_keys, snapshots, acceptance_current, review_jobs, review_job_items,
  model_partitions, model_partition_aliases, model_partition_runner_models, embeddings
  TO gatehouse_app;
--> statement-breakpoint
-- History tables: append and read only.
GRANT SELECT, INSERT ON audit_log, acceptance_events TO gatehouse_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO gatehouse_app;
--> statement-breakpoint
ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON orgs TO gatehouse_app
  USING (id = gatehouse_current_org()) WITH CHECK (id = gatehouse_current_org());
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'users', 'org_memberships', 'groups', 'group_memberships', 'projects', 'api_tokens',
    'audit_log', 'idempotency_keys', 'snapshots', 'acceptance_events', 'acceptance_current',
    'review_jobs', 'review_job_items', 'model_partitions', 'model_partition_aliases',
    'model_partition_runner_models', 'embeddings'
  ] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I TO gatehouse_app '
      'USING (org_id = gatehouse_current_org()) WITH CHECK (org_id = gatehouse_current_org())', t);
  END LOOP;
END
$$;
--> statement-breakpoint
-- acceptance_events is append-only: history is evidence.
CREATE OR REPLACE FUNCTION gatehouse_refuse_change() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER acceptance_events_append_only
  BEFORE UPDATE OR DELETE ON acceptance_events
  FOR EACH ROW EXECUTE FUNCTION gatehouse_refuse_change();
--> statement-breakpoint
CREATE TRIGGER acceptance_events_no_truncate
  BEFORE TRUNCATE ON acceptance_events
  FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_refuse_change();
--> statement-breakpoint
-- Full-text search over note texts and review artifacts.
CREATE INDEX snapshots_body_tsv ON snapshots USING gin (body_tsv);
--> statement-breakpoint
CREATE INDEX review_job_items_artifact_tsv ON review_job_items USING gin (artifact_tsv);
--> statement-breakpoint
-- One HNSW index per supported dimension, each partial on dims, so a single
-- untyped vector column serves every embedding model a project may choose.
CREATE INDEX embeddings_hnsw_384 ON embeddings
  USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dims = 384;
--> statement-breakpoint
CREATE INDEX embeddings_hnsw_768 ON embeddings
  USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE dims = 768;
--> statement-breakpoint
CREATE INDEX embeddings_hnsw_1024 ON embeddings
  USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WHERE dims = 1024;
--> statement-breakpoint
CREATE INDEX embeddings_hnsw_1536 ON embeddings
  USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WHERE dims = 1536;
--> statement-breakpoint
ALTER TABLE embeddings ADD CONSTRAINT embeddings_dims_supported
  CHECK (dims IN (384, 768, 1024, 1536) AND vector_dims(embedding) = dims);
