CREATE TYPE "public"."embedding_source" AS ENUM('server', 'runner');--> statement-breakpoint
CREATE TYPE "public"."membership_role" AS ENUM('owner', 'admin', 'member', 'viewer');--> statement-breakpoint
CREATE TYPE "public"."project_visibility" AS ENUM('private', 'group', 'org');--> statement-breakpoint
CREATE TYPE "public"."unknown_partition_policy" AS ENUM('reject', 'auto', 'warn');--> statement-breakpoint
CREATE TYPE "public"."user_kind" AS ENUM('human', 'service');--> statement-breakpoint
CREATE TYPE "public"."acceptance_kind" AS ENUM('review', 'ack', 'retire', 'import');--> statement-breakpoint
CREATE TYPE "public"."review_outcome" AS ENUM('pass', 'warn', 'fail', 'error');--> statement-breakpoint
CREATE TYPE "public"."job_item_status" AS ENUM('pending', 'done');--> statement-breakpoint
CREATE TYPE "public"."job_status" AS ENUM('queued', 'running', 'succeeded', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."partition_status" AS ENUM('verified', 'unverified');--> statement-breakpoint
CREATE TYPE "public"."embedding_subject" AS ENUM('snapshot', 'job_item');--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"scopes" text[] NOT NULL,
	"project_ids" uuid[],
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by" uuid,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"org_id" uuid NOT NULL,
	"actor_user_id" uuid,
	"actor_token_id" uuid,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text,
	"project_id" uuid,
	"before" jsonb,
	"after" jsonb,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "group_memberships" (
	"org_id" uuid NOT NULL,
	"group_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "group_memberships_group_id_user_id_pk" PRIMARY KEY("group_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"org_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"key" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"request_hash" text NOT NULL,
	"status_code" integer,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_org_id_user_id_key_pk" PRIMARY KEY("org_id","user_id","key")
);
--> statement-breakpoint
CREATE TABLE "org_memberships" (
	"org_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" "membership_role" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "org_memberships_org_id_user_id_pk" PRIMARY KEY("org_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "orgs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orgs_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"owner_user_id" uuid NOT NULL,
	"visibility" "project_visibility" DEFAULT 'org' NOT NULL,
	"shared_with_groups" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"unknown_partition_policy" "unknown_partition_policy" DEFAULT 'auto' NOT NULL,
	"embedding_model" text,
	"embedding_dims" integer,
	"embedding_source" "embedding_source" DEFAULT 'server' NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "projects_org_id" UNIQUE("org_id","id")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"issuer" text NOT NULL,
	"subject" text NOT NULL,
	"kind" "user_kind" DEFAULT 'human' NOT NULL,
	"email" text,
	"display_name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "acceptance_current" (
	"org_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"note_path" text NOT NULL,
	"gate_path" text NOT NULL,
	"model_partition" text NOT NULL,
	"revision" integer NOT NULL,
	"event_id" bigint NOT NULL,
	"kind" "acceptance_kind" NOT NULL,
	"note_snapshot_id" uuid,
	"gate_snapshot_id" uuid,
	"note_sha256" text,
	"gate_sha256" text,
	"outcome" "review_outcome",
	"accepted_at" timestamp with time zone NOT NULL,
	CONSTRAINT "acceptance_current_project_id_note_path_gate_path_model_partition_pk" PRIMARY KEY("project_id","note_path","gate_path","model_partition")
);
--> statement-breakpoint
CREATE TABLE "acceptance_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "acceptance_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"org_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"note_path" text NOT NULL,
	"gate_path" text NOT NULL,
	"model_partition" text NOT NULL,
	"revision" integer NOT NULL,
	"kind" "acceptance_kind" NOT NULL,
	"note_snapshot_id" uuid,
	"gate_snapshot_id" uuid,
	"note_sha256" text,
	"gate_sha256" text,
	"outcome" "review_outcome",
	"job_id" uuid,
	"job_item_id" uuid,
	"reason" text,
	"provenance" jsonb,
	"actor_user_id" uuid,
	"actor_token_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "snapshots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"path" text NOT NULL,
	"body" text NOT NULL,
	"sha256" text NOT NULL,
	"byte_size" integer NOT NULL,
	"body_tsv" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', body)) STORED,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "review_job_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"job_id" uuid NOT NULL,
	"ordinal" integer NOT NULL,
	"note_path" text NOT NULL,
	"gate_path" text NOT NULL,
	"model_partition" text NOT NULL,
	"note_snapshot_id" uuid NOT NULL,
	"gate_snapshot_id" uuid NOT NULL,
	"expected_revision" integer,
	"status" "job_item_status" DEFAULT 'pending' NOT NULL,
	"outcome" "review_outcome",
	"artifact" text,
	"artifact_tsv" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', coalesce(artifact, ''))) STORED,
	"telemetry" jsonb,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "review_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"model_partition" text NOT NULL,
	"requested_partition" text NOT NULL,
	"runner" text NOT NULL,
	"runner_model" text,
	"runner_effort" text,
	"status" "job_status" DEFAULT 'queued' NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"idempotency_key" text,
	"context" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" jsonb,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "model_partition_aliases" (
	"org_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"alias" text NOT NULL,
	"model_partition" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_partition_aliases_project_id_alias_pk" PRIMARY KEY("project_id","alias")
);
--> statement-breakpoint
CREATE TABLE "model_partition_runner_models" (
	"org_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"model_partition" text NOT NULL,
	"runner" text NOT NULL,
	"runner_model" text NOT NULL,
	"runner_effort" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_partition_runner_models_project_id_model_partition_runner_pk" PRIMARY KEY("project_id","model_partition","runner")
);
--> statement-breakpoint
CREATE TABLE "model_partitions" (
	"org_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"model_partition" text NOT NULL,
	"description" text,
	"status" "partition_status" DEFAULT 'unverified' NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_partitions_project_id_model_partition_pk" PRIMARY KEY("project_id","model_partition")
);
--> statement-breakpoint
CREATE TABLE "embeddings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"subject_kind" "embedding_subject" NOT NULL,
	"subject_id" uuid NOT NULL,
	"model" text NOT NULL,
	"dims" integer NOT NULL,
	"embedding" vector NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_revoked_by_users_id_fk" FOREIGN KEY ("revoked_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "groups" ADD CONSTRAINT "groups_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "groups" ADD CONSTRAINT "groups_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_memberships" ADD CONSTRAINT "org_memberships_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_memberships" ADD CONSTRAINT "org_memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acceptance_current" ADD CONSTRAINT "acceptance_current_event_id_acceptance_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."acceptance_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acceptance_current" ADD CONSTRAINT "acceptance_current_note_snapshot_id_snapshots_id_fk" FOREIGN KEY ("note_snapshot_id") REFERENCES "public"."snapshots"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acceptance_current" ADD CONSTRAINT "acceptance_current_gate_snapshot_id_snapshots_id_fk" FOREIGN KEY ("gate_snapshot_id") REFERENCES "public"."snapshots"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acceptance_current" ADD CONSTRAINT "acceptance_current_project_fk" FOREIGN KEY ("org_id","project_id") REFERENCES "public"."projects"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acceptance_events" ADD CONSTRAINT "acceptance_events_project_fk" FOREIGN KEY ("org_id","project_id") REFERENCES "public"."projects"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_project_fk" FOREIGN KEY ("org_id","project_id") REFERENCES "public"."projects"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_job_items" ADD CONSTRAINT "review_job_items_job_id_review_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."review_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_job_items" ADD CONSTRAINT "review_job_items_note_snapshot_id_snapshots_id_fk" FOREIGN KEY ("note_snapshot_id") REFERENCES "public"."snapshots"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_job_items" ADD CONSTRAINT "review_job_items_gate_snapshot_id_snapshots_id_fk" FOREIGN KEY ("gate_snapshot_id") REFERENCES "public"."snapshots"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_jobs" ADD CONSTRAINT "review_jobs_project_fk" FOREIGN KEY ("org_id","project_id") REFERENCES "public"."projects"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_partition_aliases" ADD CONSTRAINT "model_partition_aliases_partition_fk" FOREIGN KEY ("project_id","model_partition") REFERENCES "public"."model_partitions"("project_id","model_partition") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_partition_runner_models" ADD CONSTRAINT "model_partition_runner_models_partition_fk" FOREIGN KEY ("project_id","model_partition") REFERENCES "public"."model_partitions"("project_id","model_partition") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_partitions" ADD CONSTRAINT "model_partitions_project_fk" FOREIGN KEY ("org_id","project_id") REFERENCES "public"."projects"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "embeddings" ADD CONSTRAINT "embeddings_project_fk" FOREIGN KEY ("org_id","project_id") REFERENCES "public"."projects"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_tokens_org_user" ON "api_tokens" USING btree ("org_id","user_id");--> statement-breakpoint
CREATE INDEX "audit_log_org_id" ON "audit_log" USING btree ("org_id","id");--> statement-breakpoint
CREATE INDEX "group_memberships_user" ON "group_memberships" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "groups_org_name" ON "groups" USING btree ("org_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "projects_org_slug_live" ON "projects" USING btree ("org_id","slug") WHERE deleted_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "users_org_identity" ON "users" USING btree ("org_id","issuer","subject");--> statement-breakpoint
CREATE INDEX "acceptance_current_partition" ON "acceptance_current" USING btree ("project_id","model_partition");--> statement-breakpoint
CREATE INDEX "acceptance_events_pair" ON "acceptance_events" USING btree ("project_id","note_path","gate_path","model_partition","id");--> statement-breakpoint
CREATE UNIQUE INDEX "snapshots_project_path_sha" ON "snapshots" USING btree ("project_id","path","sha256");--> statement-breakpoint
CREATE INDEX "snapshots_project_sha" ON "snapshots" USING btree ("project_id","sha256");--> statement-breakpoint
CREATE INDEX "review_job_items_job" ON "review_job_items" USING btree ("job_id","ordinal");--> statement-breakpoint
CREATE INDEX "review_job_items_pair" ON "review_job_items" USING btree ("project_id","note_path","gate_path","model_partition");--> statement-breakpoint
CREATE INDEX "review_job_items_note_snapshot" ON "review_job_items" USING btree ("note_snapshot_id");--> statement-breakpoint
CREATE INDEX "review_job_items_gate_snapshot" ON "review_job_items" USING btree ("gate_snapshot_id");--> statement-breakpoint
CREATE INDEX "review_jobs_claimable" ON "review_jobs" USING btree ("priority" DESC NULLS LAST,"created_at") WHERE status = 'queued';--> statement-breakpoint
CREATE INDEX "review_jobs_running_lease" ON "review_jobs" USING btree ("lease_expires_at") WHERE status = 'running';--> statement-breakpoint
CREATE INDEX "review_jobs_project_created" ON "review_jobs" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "review_jobs_idempotency" ON "review_jobs" USING btree ("project_id","idempotency_key") WHERE idempotency_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "embeddings_subject_model" ON "embeddings" USING btree ("subject_kind","subject_id","model");