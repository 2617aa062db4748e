// The one rule behind every route that mints a token or grants a role:
// nobody obtains more rights than they hold. A caller's rights are its
// token's, not only its role's: a token narrowed to some scopes or projects
// hands on no more than it has, and its holder cannot outrank themselves by
// minting for someone else. Pure functions over the caller, tested directly
// (test/tenancy/grants.test.ts) and by the generated rule in the security
// matrix.
import { ApiError } from '../../platform/errors.js';
import type { Member } from './principal.js';
import { type Role, roleCeiling, roleRank, type Scope } from './scopes.js';

/** The longest a minted token may live; the API refuses more. */
export const MAX_TOKEN_DAYS = 365;

/** Minting, listing and revoking your own tokens needs `tokens:write`; `org:admin` covers everyone's. */
export function mayManageTokens(member: Member): boolean {
  return member.scopes.has('tokens:write') || member.scopes.has('org:admin');
}

export function requireTokenManagement(member: Member): void {
  if (mayManageTokens(member)) return;
  throw new ApiError('insufficient_scope', 'Managing tokens needs the "tokens:write" scope (or "org:admin" for others\' tokens), which this token does not have', {
    required_scope: 'tokens:write',
  });
}

export interface GrantTarget {
  userId: string;
  role: Role;
  kind: 'human' | 'service';
}

/**
 * Who may mint a token for whom. Yourself: always (capped below). Someone
 * else needs `org:admin`, and never an owner (only that owner mints for
 * themselves). A person must be outranked, so an admin cannot act as
 * another admin; a service identity may hold at most the caller's rank.
 */
export function assertMayMintFor(caller: Member, target: GrantTarget): void {
  if (target.userId === caller.userId) return;
  if (!caller.scopes.has('org:admin')) {
    throw new ApiError('insufficient_scope', 'Minting a token for someone else needs the "org:admin" scope', { required_scope: 'org:admin' });
  }
  if (target.role === 'owner') throw new ApiError('forbidden', 'Nobody may mint a token for an owner but that owner');
  const outranks = target.kind === 'service'
    ? roleRank[caller.role] >= roleRank[target.role]
    : roleRank[caller.role] > roleRank[target.role];
  if (!outranks) {
    throw new ApiError('forbidden', `A ${caller.role} may not mint a token for a ${target.kind === 'service' ? 'service' : 'member'} whose role is ${target.role}`);
  }
}

/** The most a new token may carry: what the caller's token holds and the holder's role allows. */
export function mintCeiling(caller: Member, targetRole: Role): Scope[] {
  return roleCeiling[targetRole].filter((s) => caller.scopes.has(s));
}

/**
 * The projects a new token is limited to. A caller narrowed to projects
 * passes its narrowing on (to itself, a member or a service alike) and may
 * only pick among its own; an unnarrowed caller may narrow freely.
 */
export function mintProjects(caller: Member, requested: string[] | null): string[] | null {
  if (requested === null) return caller.projectIds;
  return requested;
}

/**
 * Org-wide rights (roles, group memberships) reach every project the org
 * shares, so a token narrowed to some projects may not grant them.
 */
export function assertOrgWide(caller: Member, what: string): void {
  if (caller.projectIds === null) return;
  throw new ApiError('forbidden', `A token limited to some projects may not ${what}: that reaches beyond its projects`);
}

/**
 * Granting, changing or removing a role. Only an owner touches the owner
 * role; nobody grants above their own role; and the caller's token must
 * itself hold every scope the granted role allows, so a token narrowed to
 * `org:admin` cannot make an admin who holds more than it does.
 */
export function assertMayGrantRole(caller: Member, from: Role | null, to: Role | null): void {
  assertOrgWide(caller, 'grant or change roles');
  const touchesOwner = from === 'owner' || to === 'owner';
  if (touchesOwner && caller.role !== 'owner') throw new ApiError('forbidden', 'Only an owner may grant, change or remove the owner role');
  if (to === null) return;
  if (roleRank[to] > roleRank[caller.role]) throw new ApiError('forbidden', `You cannot grant a role above your own (${caller.role})`);
  const lacking = roleCeiling[to].filter((s) => !caller.scopes.has(s));
  if (lacking.length > 0) {
    throw new ApiError('forbidden', `Granting the role ${to} needs a token that holds every scope it allows; this one lacks ${lacking.join(', ')}`);
  }
}
