// Scopes and the ceiling each org role puts on them.
export const scopes = [
  'snapshots:write',
  'freshness:read',
  'jobs:write',
  'jobs:run',
  'acceptance:write',
  'projects:write',
  'registry:admin',
  'org:admin',
  // Mint, list and revoke your own tokens (org:admin covers everyone's).
  'tokens:write',
] as const;

export type Scope = (typeof scopes)[number];
export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export const roles: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];

/** A role is the ceiling; a token may only narrow it. */
export const roleCeiling: Record<Role, readonly Scope[]> = {
  owner: scopes,
  admin: scopes,
  member: ['snapshots:write', 'freshness:read', 'jobs:write', 'jobs:run', 'acceptance:write', 'projects:write', 'tokens:write'],
  viewer: ['freshness:read', 'tokens:write'],
};

export const roleRank: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function isScope(value: string): value is Scope {
  return (scopes as readonly string[]).includes(value);
}

/** Effective scopes: what the token asks for, cut down to what the role allows. */
export function effectiveScopes(role: Role, requested: readonly string[] | null): Set<Scope> {
  const ceiling = roleCeiling[role];
  if (requested === null) return new Set(ceiling);
  return new Set(ceiling.filter((s) => requested.includes(s)));
}
