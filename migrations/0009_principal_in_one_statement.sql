-- Authentication of a minted token in one round trip, still under RLS.
--
-- Every authenticated request resolves its token: the token row (revoked?
-- expired? which scopes and projects?) and its holder's membership role, so
-- that a revocation or a demotion takes effect on the very next request. As a
-- tenant transaction that was four round trips (BEGIN, set_config, the lookup,
-- COMMIT) before the route's own transaction began. This function does it as
-- one statement the caller runs outside any explicit transaction: it sets the
-- org, user and role locally (so they end with the statement's implicit
-- transaction and never stay on a pooled connection) and only then runs the
-- lookup. PL/pgSQL prepares each statement when it is reached, after the role
-- has dropped to gatehouse_app, so the lookup is planned and checked with the
-- tenant_isolation policies applied, exactly like every other tenant query:
-- a token of another org is invisible, whatever the arguments say.
-- (A LANGUAGE sql function would not do: its body is rewritten, and its
-- policies chosen, before the first statement runs.)
-- Called inside an open transaction, it puts back the role and settings it
-- found, so it can never switch an enclosing transaction to another org; and
-- only the connecting role may call it (gatehouse_app, inside a tenant
-- transaction, may not).
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
  -- is still good and whose holder is still a member.
  RETURN QUERY
    WITH touched AS (
      UPDATE api_tokens t SET last_used_at = p_now
      WHERE t.id = p_jti AND t.user_id::text = p_subject AND t.revoked_at IS NULL AND t.expires_at > p_now
        AND (t.last_used_at IS NULL OR t.last_used_at < p_now - interval '60 seconds')
        AND EXISTS (SELECT 1 FROM org_memberships om WHERE om.user_id = t.user_id AND om.org_id = t.org_id)
      RETURNING t.id
    )
    SELECT t.user_id, to_jsonb(t.scopes), to_jsonb(t.project_ids), t.expires_at, t.revoked_at, m.role::text
    FROM api_tokens t
    LEFT JOIN org_memberships m ON m.user_id = t.user_id AND m.org_id = t.org_id
    WHERE t.id = p_jti
    LIMIT 1;
  -- RETURN QUERY has run to completion here: put back what the caller had.
  -- (Setting the role back is checked against the session user, who may.)
  PERFORM set_config('role', was_role, true), set_config('app.org_id', was_org, true), set_config('app.user_id', was_user, true);
END
$$;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION gatehouse_resolve_minted_token(uuid, uuid, text, timestamptz) FROM PUBLIC;
