// Tenancy: orgs, identities, memberships, groups, projects, tokens, audit, idempotency.
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn, bigint, foreignKey, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, unique, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, orgId, tstz, updatedAt } from './common.js';

export const membershipRole = pgEnum('membership_role', ['owner', 'admin', 'member', 'viewer']);
export const userKind = pgEnum('user_kind', ['human', 'service']);
export const projectVisibility = pgEnum('project_visibility', ['private', 'group', 'org']);
export const unknownPartitionPolicy = pgEnum('unknown_partition_policy', ['reject', 'auto', 'warn']);
export const embeddingSource = pgEnum('embedding_source', ['server', 'runner']);

export const orgs = pgTable('orgs', {
  id: uuid('id').primaryKey().defaultRandom(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

/**
 * Identities are per org: the same person in two orgs is two rows, so every
 * identity row is tenant-owned and RLS covers it like everything else.
 * Gatehouse-minted tokens carry the row id as `sub`; external tokens are
 * matched on (issuer, subject).
 */
export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
  issuer: text('issuer').notNull(),
  subject: text('subject').notNull(),
  kind: userKind('kind').notNull().default('human'),
  email: text('email'),
  displayName: text('display_name'),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('users_org_identity').on(t.orgId, t.issuer, t.subject)]);

export const orgMemberships = pgTable('org_memberships', {
  orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  role: membershipRole('role').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [primaryKey({ columns: [t.orgId, t.userId] })]);

export const groups = pgTable('groups', {
  id: uuid('id').primaryKey().defaultRandom(),
  orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  description: text('description'),
  createdBy: uuid('created_by').references(() => users.id),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('groups_org_name').on(t.orgId, t.name)]);

export const groupMemberships = pgTable('group_memberships', {
  orgId: orgId(),
  groupId: uuid('group_id').notNull().references(() => groups.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  createdAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index('group_memberships_user').on(t.userId)]);

/**
 * One project per knowledge base. Deleting a project archives it
 * (`deleted_at`): its acceptance history is append-only and must outlive it,
 * and the slug becomes free again.
 */
export const projects = pgTable('projects', {
  id: uuid('id').primaryKey().defaultRandom(),
  orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
  slug: text('slug').notNull(),
  name: text('name').notNull(),
  description: text('description'),
  ownerUserId: uuid('owner_user_id').notNull().references(() => users.id),
  visibility: projectVisibility('visibility').notNull().default('org'),
  sharedWithGroups: uuid('shared_with_groups').array().notNull().default(sql`'{}'::uuid[]`),
  unknownPartitionPolicy: unknownPartitionPolicy('unknown_partition_policy').notNull().default('auto'),
  embeddingModel: text('embedding_model'),
  embeddingDims: integer('embedding_dims'),
  embeddingSource: embeddingSource('embedding_source').notNull().default('server'),
  createdBy: uuid('created_by').references(() => users.id),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  deletedAt: tstz('deleted_at'),
}, (t) => [
  uniqueIndex('projects_org_slug_live').on(t.orgId, t.slug).where(sql`deleted_at is null`),
  unique('projects_org_id').on(t.orgId, t.id),
]);

/**
 * Every project-owned row references its project together with its org, so
 * even the database refuses a row that points into another tenant's project.
 */
export const projectRef = (t: { orgId: AnyPgColumn; projectId: AnyPgColumn }, name: string) =>
  foreignKey({ name, columns: [t.orgId, t.projectId], foreignColumns: [projects.orgId, projects.id] });

/** Minted tokens: the row id is the JWT `jti`. The token itself is never stored. */
export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey(),
  orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  scopes: text('scopes').array().notNull(),
  projectIds: uuid('project_ids').array(),
  createdBy: uuid('created_by').references(() => users.id),
  createdAt: createdAt(),
  expiresAt: tstz('expires_at').notNull(),
  revokedAt: tstz('revoked_at'),
  revokedBy: uuid('revoked_by').references(() => users.id),
  lastUsedAt: tstz('last_used_at'),
}, (t) => [index('api_tokens_org_user').on(t.orgId, t.userId)]);

export const auditLog = pgTable('audit_log', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
  actorUserId: uuid('actor_user_id'),
  actorTokenId: uuid('actor_token_id'),
  action: text('action').notNull(),
  targetType: text('target_type').notNull(),
  targetId: text('target_id'),
  projectId: uuid('project_id'),
  before: jsonb('before'),
  after: jsonb('after'),
  requestId: text('request_id'),
  createdAt: createdAt(),
}, (t) => [index('audit_log_org_id').on(t.orgId, t.id)]);

/** `Idempotency-Key` replay store: a retried POST returns the first answer. */
export const idempotencyKeys = pgTable('idempotency_keys', {
  orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull(),
  key: text('key').notNull(),
  method: text('method').notNull(),
  path: text('path').notNull(),
  requestHash: text('request_hash').notNull(),
  statusCode: integer('status_code'),
  response: jsonb('response'),
  createdAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.orgId, t.userId, t.key] })]);
