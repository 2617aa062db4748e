// Request and response shapes of the tenancy routes.
import { z } from '@hono/zod-openapi';
import { Slug, Timestamp, Uuid } from '../../platform/schemas.js';
import { MAX_TOKEN_DAYS } from '../auth/grants.js';
import { roles, scopes } from '../auth/scopes.js';

export const RoleSchema = z.enum(roles as [string, ...string[]]).openapi('Role');
export const ScopeSchema = z.enum(scopes).openapi('Scope');
const Text = (max: number) => z.string().min(1).max(max);

export const Org = z.object({ id: Uuid, slug: z.string(), name: z.string(), created_at: Timestamp }).openapi('Org');

export const CreateOrgBody = z.object({
  slug: Slug,
  name: Text(200),
  owner: z.object({
    issuer: Text(500).optional().openapi({ description: 'Defaults to Gatehouse itself (a local identity, which gets a token back)' }),
    subject: Text(500),
    email: z.string().email().max(320).optional(),
    display_name: Text(200).optional(),
  }).strict().optional().openapi({ description: 'Required for operators; omitted when a signed-in identity creates its own org' }),
  owner_token_days: z.number().int().min(1).max(3650).default(90),
}).strict().openapi('CreateOrg');

export const CreatedOrg = z.object({
  org: Org,
  owner: z.object({ user_id: Uuid, issuer: z.string(), subject: z.string() }),
  owner_token: z.string().nullable().openapi({ description: 'Shown once, for a local owner identity' }),
}).openapi('CreatedOrg');

export const OrgWithCaller = Org.extend({
  you: z.object({ user_id: Uuid, role: RoleSchema, scopes: z.array(ScopeSchema), token_id: Uuid.nullable(), projects: z.array(Uuid).nullable() }),
}).openapi('OrgWithCaller');

export const MemberSchema = z.object({
  user_id: Uuid, issuer: z.string(), subject: z.string(), kind: z.enum(['human', 'service']),
  email: z.string().nullable(), display_name: z.string().nullable(), role: RoleSchema, member_since: Timestamp,
}).openapi('Member');

export const AddMemberBody = z.object({
  issuer: Text(500).optional(),
  subject: Text(500),
  email: z.string().email().max(320).optional(),
  display_name: Text(200).optional(),
  role: RoleSchema,
}).strict().openapi('AddMember');

export const UpdateMemberBody = z.object({ role: RoleSchema }).strict().openapi('UpdateMember');

export const GroupSchema = z.object({
  id: Uuid, name: z.string(), description: z.string().nullable(), members: z.array(Uuid), created_at: Timestamp,
}).openapi('Group');

export const CreateGroupBody = z.object({
  name: z.string().min(1).max(100).regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters'),
  description: Text(1000).optional(),
}).strict().openapi('CreateGroup');

export const GroupMembership = z.object({ group_id: Uuid, user_id: Uuid, added: z.boolean() }).openapi('GroupMembership');

export const TokenSchema = z.object({
  id: Uuid, name: z.string(), user_id: Uuid, scopes: z.array(z.string()), projects: z.array(z.string()).nullable(),
  created_by: Uuid.nullable(), created_at: Timestamp, expires_at: Timestamp, revoked_at: Timestamp.nullable(), last_used_at: Timestamp.nullable(),
}).openapi('Token');

export const CreatedToken = TokenSchema.extend({
  max_lifetime_days: z.number().int().openapi({ description: 'The longest any minted token may live; `expires_at` is never later' }),
  token: z.string().openapi({ description: 'The JWT; shown once, never stored' }),
}).openapi('CreatedToken');

export const CreateTokenBody = z.object({
  name: Text(200),
  scopes: z.array(ScopeSchema).min(1).max(20).optional().openapi({
    description: 'Defaults to everything the holder\'s role allows that the calling token holds too; never more than either',
  }),
  projects: z.array(Slug).min(1).max(100).optional().openapi({
    description: 'Limit the token to these projects. A caller limited to projects may name only its own, and by default passes its limit on',
  }),
  expires_in_days: z.number().int().min(1).max(MAX_TOKEN_DAYS).default(90).openapi({ description: `Lifetime in days, at most ${MAX_TOKEN_DAYS}` }),
  user_id: Uuid.optional().openapi({
    description: 'Mint for another member (org:admin): only for a member the caller outranks; nobody mints for an owner but that owner',
  }),
  service: Slug.optional().openapi({ description: 'Mint for a service identity such as a runner (org:admin); created on first use' }),
}).strict().openapi('CreateToken');

export const AuditEntry = z.object({
  id: z.number().int(), action: z.string(), target_type: z.string(), target_id: z.string().nullable(), project_id: Uuid.nullable(),
  actor_user_id: Uuid.nullable(), actor_token_id: Uuid.nullable(), before: z.unknown(), after: z.unknown(),
  request_id: z.string().nullable(), created_at: Timestamp,
}).openapi('AuditEntry');

export const VisibilitySchema = z.enum(['private', 'group', 'org']).openapi('Visibility');

export const ProjectSchema = z.object({
  id: Uuid, slug: z.string(), name: z.string(), description: z.string().nullable(), owner_user_id: Uuid,
  visibility: VisibilitySchema, shared_with_groups: z.array(Uuid),
  unknown_partition_policy: z.enum(['reject', 'auto', 'warn']),
  embedding: z.object({ model: z.string(), dims: z.number().int().nullable(), source: z.enum(['server', 'runner']) }).nullable(),
  created_at: Timestamp, updated_at: Timestamp,
}).openapi('Project');

export const CreateProjectBody = z.object({
  slug: Slug,
  name: Text(200).optional(),
  description: Text(2000).optional(),
  visibility: VisibilitySchema.optional(),
  shared_with_groups: z.array(Uuid).max(100).optional(),
}).strict().openapi('CreateProject');

export const UpdateProjectBody = z.object({
  name: Text(200).optional(),
  description: Text(2000).nullable().optional(),
  visibility: VisibilitySchema.optional(),
  shared_with_groups: z.array(Uuid).max(100).optional(),
  owner_user_id: Uuid.optional(),
  embedding: z.object({
    model: z.string().min(1).max(200),
    dims: z.union([z.literal(384), z.literal(768), z.literal(1024), z.literal(1536)]),
    source: z.enum(['server', 'runner']),
  }).strict().optional().openapi({ description: 'The project\'s embedding model (org admins). Changing it drops the old vectors; everything is embedded again in batches.' }),
}).strict().refine((body) => Object.keys(body).length > 0, { message: 'name at least one field to change' }).openapi('UpdateProject');

export const UserParam = z.object({ user: Uuid.openapi({ param: { name: 'user', in: 'path' } }) });
export const GroupMemberParams = z.object({
  group: Uuid.openapi({ param: { name: 'group', in: 'path' } }),
  user: Uuid.openapi({ param: { name: 'user', in: 'path' } }),
});
export const TokenParam = z.object({ token: Uuid.openapi({ param: { name: 'token', in: 'path' } }) });
export const ProjectParam = z.object({ project: Slug.openapi({ param: { name: 'project', in: 'path' } }) });
