/**
 * The federation directory: what other contexts may use. The hub keeps the member registry and
 * publishes it as a signed, versioned document; every member keeps a verified copy and answers
 * `member`, `verificationKey`, `encryptionKey`, `hub` and `status` from it synchronously.
 */
/** Members and their keys, as the directory lists them. */
export type { DirectoryKey, DirectoryMember } from './domain/directory-member.ts';
/** How fresh a node's copy of the directory is. */
export type { DirectoryState, DirectoryStatus } from './domain/directory-status.ts';
/** The hub's anchor keys a member pins at join. */
export type { DirectoryAnchor, AnchorKey } from './domain/anchor.ts';
/** The payload of the hub's signed directory. */
export type { DirectoryDocument } from './domain/directory-document.ts';
/** The service every node wires once (see `openNode`). */
export { createDirectoryService, type DirectoryService, type ServedDirectory, type SyncResult } from './directory-service.ts';
/** The hub's registry and what it lists. */
export type { ApplicationRecord, HubRegistry, RegisteredMember } from './hub-registry.ts';
/** A member's join and sync. */
export type { JoinInput, JoinResult, SyncStep } from './member-sync.ts';
/** Where the directory reports stale copies and failing hubs. */
export type { DirectoryLogger } from './logger.ts';
/** The directory's HTTP routes. */
export { registerDirectoryRoutes } from './http/routes.ts';
/** `tongban join` and `tongban directory …`. */
export { registerDirectoryCommands } from './cli.ts';
/** Checking node-to-node documents signed by a member. */
export { verifySignedByMember, type SignedByMember } from './signed-by-member.ts';
/** Integrity alerts witnesses report to the hub. */
export { integrityAlertType, integrityAlertKinds, type IntegrityAlertKind, type IntegrityAlertPayload, type IntegrityAlertRecord } from './integrity-alerts.ts';
