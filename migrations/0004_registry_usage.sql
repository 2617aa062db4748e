ALTER TABLE "acceptance_events" ADD COLUMN "requested_partition" text;--> statement-breakpoint
CREATE INDEX "acceptance_events_partition" ON "acceptance_events" USING btree ("project_id","model_partition");--> statement-breakpoint
CREATE INDEX "acceptance_events_requested" ON "acceptance_events" USING btree ("project_id","requested_partition");--> statement-breakpoint
CREATE INDEX "review_jobs_partitions" ON "review_jobs" USING btree ("project_id","model_partition","requested_partition");