/**
 * The JSON the API answers with, declared once. Route schemas serialize through these, the
 * OpenAPI document is generated from them, and the web UI and the command-line client import
 * the types, so a change here that breaks a client breaks the type check.
 */
import { z } from 'zod';

export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];
export const STATUSES = ['open', 'in_progress', 'closed'] as const;
export type IssueStatus = (typeof STATUSES)[number];
export const PRIORITIES = ['none', 'low', 'medium', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

const uuid = z.string().describe('UUID');
const timestamp = z.string().describe('ISO 8601 timestamp (UTC)');

export const userJson = z.object({ id: uuid, email: z.string(), name: z.string() }).meta({ id: 'User' });
export type UserJson = z.output<typeof userJson>;

export const workspaceJson = z.object({
  id: uuid,
  slug: z.string(),
  name: z.string(),
  issueKey: z.string().describe('prefix of issue keys, e.g. ENG in ENG-42'),
  role: z.enum(ROLES).describe('your role in it'),
  createdAt: timestamp,
  updatedAt: timestamp,
}).meta({ id: 'Workspace' });
export type WorkspaceJson = z.output<typeof workspaceJson>;

/** A workspace as `GET /api/v1/me` lists it. */
export const membershipJson = workspaceJson.pick({ id: true, slug: true, name: true, issueKey: true, role: true }).meta({ id: 'Membership' });
export type MembershipJson = z.output<typeof membershipJson>;

export const memberJson = z.object({ userId: uuid, email: z.string(), name: z.string(), role: z.enum(ROLES), joinedAt: timestamp }).meta({ id: 'Member' });
export type MemberJson = z.output<typeof memberJson>;

export const invitationJson = z.object({
  id: uuid,
  email: z.string(),
  role: z.enum(['admin', 'member']),
  invitedBy: uuid.nullable(),
  createdAt: timestamp,
}).meta({ id: 'Invitation' });
export type InvitationJson = z.output<typeof invitationJson>;

export const issueJson = z.object({
  id: uuid,
  number: z.number().int(),
  key: z.string().describe('e.g. ENG-42'),
  title: z.string(),
  description: z.string(),
  status: z.enum(STATUSES),
  priority: z.enum(PRIORITIES),
  assigneeId: uuid.nullable(),
  authorId: uuid.nullable().describe('null once the author account is deleted'),
  createdAt: timestamp,
  updatedAt: timestamp,
  closedAt: timestamp.nullable(),
}).meta({ id: 'Issue' });
export type IssueJson = z.output<typeof issueJson>;

export const commentJson = z.object({
  id: uuid,
  issueId: uuid,
  issueNumber: z.number().int(),
  authorId: uuid.nullable().describe('null once the author account is deleted'),
  body: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
}).meta({ id: 'Comment' });
export type CommentJson = z.output<typeof commentJson>;

export const attachmentJson = z.object({
  id: uuid,
  issueId: uuid,
  filename: z.string(),
  contentType: z.string(),
  sizeBytes: z.number().int(),
  uploaderId: uuid.nullable(),
  createdAt: timestamp,
}).meta({ id: 'Attachment' });
export type AttachmentJson = z.output<typeof attachmentJson>;

export const presignedUploadJson = z.object({
  url: z.string(),
  method: z.literal('PUT'),
  headers: z.record(z.string(), z.string()).describe('send exactly these headers with the upload'),
  expiresAt: timestamp,
}).meta({ id: 'PresignedUpload' });

export const presignedDownloadJson = z.object({ url: z.string(), expiresAt: timestamp }).meta({ id: 'PresignedDownload' });

export const tokenJson = z.object({ id: uuid, name: z.string(), createdAt: timestamp, lastUsedAt: timestamp.nullable() }).meta({ id: 'AccessToken' });
export type TokenJson = z.output<typeof tokenJson>;

export const errorJson = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
}).meta({ id: 'Error' });
export type ErrorJson = z.output<typeof errorJson>;

export const issuePageJson = z.object({
  issues: z.array(issueJson),
  nextCursor: z.string().nullable().describe('pass back as ?cursor= for the next page; null on the last'),
}).meta({ id: 'IssuePage' });
export type IssuePageJson = z.output<typeof issuePageJson>;
