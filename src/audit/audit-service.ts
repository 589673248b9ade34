/**
 * The audit service: the node's Merkle log as others see it — signed checkpoints (on a timer and
 * on demand), inclusion and consistency proofs, and full verification.
 *
 * Checkpoint cadence (fixed, no configuration): the timer looks every 5 s and signs when at least
 * 1000 entries arrived since the last checkpoint, or when any did and the last one is 60 s old.
 * Timer checkpoints are not themselves logged as events (each would create the entry the next
 * one must cover); checkpoints signed on demand by a person are.
 */
import { cryptoSuite, fromBase64Url } from '../crypto/index.ts';
import { InputError, NotFoundError } from '../core/errors.ts';
import type { BackgroundService, NodeCore } from '../node/node-core.ts';
import { hash } from 'node:crypto';
import { checkpointOrigin, formatCheckpoint, signNote, type NoteKey } from './domain/checkpoint.ts';
import { insertCheckpoint, latestCheckpoint, listCheckpoints, type StoredCheckpoint } from './store/checkpoint-store.ts';
import { createTreeStore, type TreeStore } from './store/tree-store.ts';
import { verifyLog, type VerifyReport } from './verify-log.ts';
import { bundleFormat, type AuditBundle } from './domain/bundle.ts';
import { accessReport, type AccessReport } from './access-report.ts';
import type { AgreementService } from '../agreements/index.ts';
import type { DirectoryService } from '../directory/index.ts';
import { createWitness, type Witness } from './witness.ts';
import { createCitizenReports, type CitizenReports } from './citizen-report.ts';
import { isPrunedPayload, pruneLog, type PruneReport } from './retention.ts';
import { cosignaturesFor, type StoredCosignature } from './store/witness-store.ts';

/** Entries after which the timer signs without waiting for the interval. */
export const checkpointEveryEntries = 1000;
/** Longest time new entries wait for a checkpoint. */
export const checkpointEverySeconds = 60;
const tickMilliseconds = 5000;
/** Entries per exported bundle, so one export cannot exhaust memory. */
const maxBundleEntries = 100_000;

/** An inclusion proof as served: standard base64 hashes, plus the checkpoint it proves against. */
export interface InclusionProofAnswer {
  readonly seq: number;
  readonly eventId: string;
  readonly size: number;
  readonly leafHash: string;
  readonly proof: string[];
  readonly root: string;
  /** The signed checkpoint of `size`, when one exists. */
  readonly checkpoint: string | null;
}

/** A consistency proof as served. */
export interface ConsistencyProofAnswer {
  readonly from: number;
  readonly to: number;
  readonly fromRoot: string;
  readonly toRoot: string;
  readonly proof: string[];
}

/** What the audit context offers the rest of the node. */
export interface AuditService extends BackgroundService {
  readonly tree: TreeStore;
  /** The checkpoint origin (and signing key name), `tongban.example/<code>`. */
  readonly origin: string;
  /** Signs a checkpoint of the current tree unless the latest already covers it; logs it when a person asked. */
  signCheckpoint(actor: string | null): Promise<StoredCheckpoint>;
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  listCheckpoints(options?: { limit?: number; beforeSize?: number }): Promise<StoredCheckpoint[]>;
  /** Inclusion proof of an entry (by seq or event id) in the tree of `size` (default: the latest checkpoint, signed now if it does not cover the entry). */
  inclusionProof(query: { seq?: number; eventId?: string; size?: number }): Promise<InclusionProofAnswer>;
  consistencyProof(from: number, to: number): Promise<ConsistencyProofAnswer>;
  /** The node's signing keys, active and retired, as note keys. */
  noteKeys(): Promise<NoteKey[]>;
  /** Recomputes everything; see `verifyLog`. */
  verify(): Promise<VerifyReport>;
  /** One page of the accesses to records about a subject (by ID number), logged as `audit.access_report`. */
  accessReport(actor: string, query: { idNumber: string; limit?: number; afterSeq?: number }): Promise<AccessReport>;
  /** Entries `from`..`to` (inclusive) with inclusion proofs against the latest checkpoint (signed now if it does not cover them). */
  exportBundle(from: number, to: number): Promise<AuditBundle>;
  /** Witnessing of partners' checkpoints, and cosignatures on this node's. */
  readonly witness: Witness;
  /** Removes (or with dryRun counts) the details of entries past retention; see retention.ts. */
  prune(actor: string, options: { dryRun: boolean }): Promise<PruneReport>;
  /** Citizen tokens and the federation-wide access report. */
  readonly citizen: CitizenReports;
  /** Checkpoints, newest first, each with the witnesses that co-signed it. */
  listWitnessedCheckpoints(options?: { limit?: number; beforeSize?: number }): Promise<Array<StoredCheckpoint & { witnesses: StoredCosignature[] }>>;
}

/** The other contexts the audit service works with. */
export interface AuditServiceDeps {
  readonly directory: DirectoryService;
  readonly agreements: Pick<AgreementService, 'list' | 'get'>;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Creates the audit service over a node's core. */
export function createAuditService(core: NodeCore, deps: AuditServiceDeps): AuditService {
  const db = core.store.db;
  // The same hash as the event log's leaves (see leafHasherFor in open-node).
  const algorithm = core.info.suite === 'sm' ? 'sm3' : 'sha256';
  // One-shot hash(): no Hash object per call, which full verification of a large log feels.
  const hasher = { hash: (data: Uint8Array) => hash(algorithm, data, 'buffer') };
  const tree = createTreeStore({ db, hasher });
  const origin = checkpointOrigin(core.info.code);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let witnessTimer: NodeJS.Timeout | undefined;
  let witnessing: Promise<unknown> | undefined;

  async function noteKeys(): Promise<NoteKey[]> {
    const keys = await core.keyring.list();
    return keys
      .filter((key) => key.use === 'sign' && key.publicKey)
      .map((key) => ({ name: origin, suite: cryptoSuite(key.suite), publicKey: fromBase64Url(key.publicKey!, 'publicKey') }));
  }

  async function sign(): Promise<StoredCheckpoint> {
    const head = await tree.head();
    const signer = await core.keyring.signer();
    const key: NoteKey = { name: origin, suite: signer.suite, publicKey: signer.suite.signingPublicKey(signer.privateKey) };
    const note = signNote(formatCheckpoint({ origin, size: head.size, root: head.root }), key, signer.privateKey);
    return insertCheckpoint(db, { size: head.size, root: head.root, note, createdAt: core.clock.now().toISOString() });
  }

  async function signCheckpoint(actor: string | null): Promise<StoredCheckpoint> {
    const latest = await latestCheckpoint(db);
    if (latest && latest.size >= (await tree.size())) return latest;
    const checkpoint = await sign();
    if (actor) {
      await core.events.record({ type: 'audit.checkpoint_signed', actor, outcome: 'success', details: { checkpoint: checkpoint.id, size: checkpoint.size } });
    }
    return checkpoint;
  }

  async function tick(): Promise<void> {
    const latest = await latestCheckpoint(db);
    const size = await tree.size();
    const pending = size - (latest?.size ?? 0);
    if (pending <= 0) return;
    const age = latest ? (core.clock.now().getTime() - Date.parse(latest.createdAt)) / 1000 : Infinity;
    if (pending >= checkpointEveryEntries || age >= checkpointEverySeconds) await sign();
  }

  async function findSeq(query: { seq?: number; eventId?: string }): Promise<{ seq: number; id: string }> {
    if (query.seq === undefined && !query.eventId) throw new InputError('Name the entry: give `seq` or `event`.', { path: 'seq' });
    if (query.seq !== undefined && (!Number.isSafeInteger(query.seq) || query.seq < 0)) {
      throw new InputError(`seq must be a whole number ≥ 0, got ${query.seq}.`, { path: 'seq' });
    }
    let select = db.selectFrom('events').select(['seq', 'id']);
    select = query.seq !== undefined ? select.where('seq', '=', query.seq) : select.where('id', '=', query.eventId!);
    const row = await select.executeTakeFirst();
    if (!row) {
      throw new NotFoundError(
        query.seq !== undefined ? `The log has no entry ${query.seq}.` : `The log has no event with id ${query.eventId}.`,
        query.seq !== undefined ? { seq: query.seq } : { event: query.eventId },
      );
    }
    return { seq: Number(row.seq), id: row.id };
  }

  const witness = createWitness({ core, directory: deps.directory, agreements: deps.agreements, ownKeys: noteKeys });

  return {
    tree,
    origin,
    witness,
    citizen: createCitizenReports({ core, directory: deps.directory }),
    prune: (actor, options) => pruneLog(core, deps.agreements, { ...options, actor }),
    async listWitnessedCheckpoints(options) {
      const checkpoints = await listCheckpoints(db, options);
      const cosignatures = await cosignaturesFor(db, [...new Set(checkpoints.map((checkpoint) => checkpoint.size))]);
      return checkpoints.map((checkpoint) => ({
        ...checkpoint,
        witnesses: cosignatures.filter((cosignature) => cosignature.size === checkpoint.size && Buffer.from(cosignature.root).equals(Buffer.from(checkpoint.root))),
      }));
    },
    signCheckpoint,
    latestCheckpoint: () => latestCheckpoint(db),
    listCheckpoints: (options) => listCheckpoints(db, options),
    async inclusionProof(query) {
      const entry = await findSeq(query);
      let checkpoint: StoredCheckpoint | undefined;
      let size = query.size;
      if (size === undefined) {
        checkpoint = await latestCheckpoint(db);
        if (!checkpoint || checkpoint.size <= entry.seq) checkpoint = await signCheckpoint(null);
        size = checkpoint.size;
      } else {
        checkpoint = (await listCheckpoints(db, { beforeSize: size + 1, limit: 1 })).find((candidate) => candidate.size === size);
      }
      const proof = await tree.inclusionProof(entry.seq, size);
      const head = await tree.head(size);
      return {
        seq: entry.seq,
        eventId: entry.id,
        size,
        leafHash: b64(await tree.leafHash(entry.seq)),
        proof: proof.map(b64),
        root: b64(head.root),
        checkpoint: checkpoint?.note ?? null,
      };
    },
    async consistencyProof(from, to) {
      const proof = await tree.consistencyProof(from, to);
      const [fromHead, toHead] = [await tree.head(from), await tree.head(to)];
      return { from, to, fromRoot: b64(fromHead.root), toRoot: b64(toHead.root), proof: proof.map(b64) };
    },
    noteKeys,
    accessReport: (actor, query) => accessReport(core, actor, query),
    async exportBundle(from, to) {
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from) {
        throw new InputError(`--from and --to must be whole numbers with 0 ≤ from ≤ to; got ${from}..${to}.`, { from, to });
      }
      if (to - from >= maxBundleEntries) throw new InputError(`A bundle holds at most ${maxBundleEntries} entries; split the range.`, { from, to });
      let checkpoint = await latestCheckpoint(db);
      if (!checkpoint || checkpoint.size <= to) checkpoint = await signCheckpoint(null);
      if (checkpoint.size <= to) throw new NotFoundError(`The log has ${checkpoint.size} entries; there is no entry ${to}.`, { to, size: checkpoint.size });
      const rows = await db.selectFrom('events').select(['seq', 'payload', 'leaf_hash']).where('seq', '>=', from).where('seq', '<=', to).orderBy('seq').execute();
      const entries = [];
      for (const row of rows) {
        const proof = await tree.inclusionProof(Number(row.seq), checkpoint.size);
        const pruned = isPrunedPayload(JSON.parse(row.payload) as Record<string, unknown>);
        entries.push({ seq: Number(row.seq), payload: row.payload, proof: proof.map(b64), ...(pruned ? { leafHash: b64(row.leaf_hash) } : {}) });
      }
      return {
        format: bundleFormat,
        origin,
        suite: core.info.suite,
        keys: (await noteKeys()).map((key) => b64(key.publicKey)),
        checkpoint: checkpoint.note,
        entries,
      };
    },
    async verify() {
      return verifyLog({ db, dialect: core.store.dialect, hasher, origin, keys: await noteKeys() });
    },
    start() {
      if (timer) return;
      timer = setInterval(() => {
        if (running) return;
        running = tick()
          .catch(() => undefined)
          .finally(() => {
            running = undefined;
          });
      }, tickMilliseconds);
      timer.unref();
      witnessTimer = setInterval(() => {
        if (witnessing) return;
        witnessing = witness
          .witnessAll()
          .catch(() => undefined)
          .finally(() => {
            witnessing = undefined;
          });
      }, core.config.audit.witnessIntervalSeconds * 1000);
      witnessTimer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      if (witnessTimer) clearInterval(witnessTimer);
      timer = undefined;
      witnessTimer = undefined;
      await Promise.all([running, witnessing]);
    },
  };
}
