-- A removed member's tokens stay dead (security review, issue 16).
--
-- Removing a member now revokes their tokens in the same transaction. Two
-- things this migration adds around that:
--
-- 1. The token lookup reads a holder's membership only when it is at least
--    as old as the token. A token minted before its holder was last added
--    belongs to an earlier membership: it reads as "no longer a member",
--    whatever re-adding the member (or re-creating a service identity of the
--    same name) did later. This holds even for a token a removal missed.
-- 2. Tokens of holders removed before this release were never revoked:
--    revoke them now.
--
-- It also introduces the `tokens:write` scope (minting, listing and
-- revoking your own tokens now needs a scope). Existing tokens that carry
-- everything their holder's role allowed were unnarrowed, so they keep token
-- management; a narrowed token does not gain it.
CREATE OR REPLACE FUNCTION gatehouse_resolve_minted_token(p_org uuid, p_jti uuid, p_subject text, p_now timestamptz)
  RETURNS TABLE (token_user_id uuid, token_scopes jsonb, token_project_ids jsonb, token_expires_at timestamptz, token_revoked_at timestamptz, member_role text)
  LANGUAGE plpgsql VOLATILE
  AS $$
DECLARE
  was_role text := current_setting('role');
  was_org text := coalesce(current_setting('app.org_id', true), '');
  was_user text := coalesce(current_setting('app.user_id', true), '');
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true), set_config('app.user_id', p_subject, true), set_config('role', 'gatehouse_app', true);
  -- last_used_at is stamped at most once a minute, and only for a token that
  -- is still good and whose holder is still a member since before it was minted.
  RETURN QUERY
    WITH touched AS (
      UPDATE api_tokens t SET last_used_at = p_now
      WHERE t.id = p_jti AND t.user_id::text = p_subject AND t.revoked_at IS NULL AND t.expires_at > p_now
        AND (t.last_used_at IS NULL OR t.last_used_at < p_now - interval '60 seconds')
        AND EXISTS (SELECT 1 FROM org_memberships om WHERE om.user_id = t.user_id AND om.org_id = t.org_id AND om.created_at <= t.created_at)
      RETURNING t.id
    )
    SELECT t.user_id, to_jsonb(t.scopes), to_jsonb(t.project_ids), t.expires_at, t.revoked_at, m.role::text
    FROM api_tokens t
    LEFT JOIN org_memberships m ON m.user_id = t.user_id AND m.org_id = t.org_id AND m.created_at <= t.created_at
    WHERE t.id = p_jti
    LIMIT 1;
  PERFORM set_config('role', was_role, true), set_config('app.org_id', was_org, true), set_config('app.user_id', was_user, true);
END
$$;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION gatehouse_resolve_minted_token(uuid, uuid, text, timestamptz) FROM PUBLIC;
--> statement-breakpoint
UPDATE api_tokens t SET revoked_at = now()
WHERE t.revoked_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM org_memberships m WHERE m.user_id = t.user_id AND m.org_id = t.org_id);
--> statement-breakpoint
UPDATE api_tokens t SET scopes = array_append(t.scopes, 'tokens:write')
FROM org_memberships m
WHERE m.user_id = t.user_id AND m.org_id = t.org_id
  AND t.revoked_at IS NULL
  AND NOT ('tokens:write' = ANY (t.scopes))
  AND t.scopes @> (CASE m.role
    WHEN 'member' THEN ARRAY['snapshots:write', 'freshness:read', 'jobs:write', 'jobs:run', 'acceptance:write', 'projects:write']
    WHEN 'viewer' THEN ARRAY['freshness:read']
    ELSE ARRAY['snapshots:write', 'freshness:read', 'jobs:write', 'jobs:run', 'acceptance:write', 'projects:write', 'registry:admin', 'org:admin']
  END)::text[];
