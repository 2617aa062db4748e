DROP INDEX "review_jobs_claimable";--> statement-breakpoint
CREATE INDEX "review_jobs_claim_order" ON "review_jobs" USING btree ("priority" DESC NULLS LAST,"created_at","id") WHERE status = 'queued';