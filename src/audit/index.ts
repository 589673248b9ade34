/**
 * The audit context: the node's tamper-evident Merkle log, checkpoints, proofs, verification. What others may use.
 */
export { createAuditService, checkpointEveryEntries, checkpointEverySeconds, type AuditService, type ConsistencyProofAnswer, type InclusionProofAnswer } from './audit-service.ts';
export { checkpointOrigin, formatCheckpoint, parseCheckpointBody, verifyCheckpointNote, type CheckpointBody, type NoteKey } from './domain/checkpoint.ts';
export { MemoryTree, verifyConsistency, verifyInclusion, type MerkleHasher } from './domain/merkle.ts';
export type { StoredCheckpoint } from './store/checkpoint-store.ts';
export type { VerifyProblem, VerifyReport } from './verify-log.ts';
