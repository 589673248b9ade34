/**
 * The node's keys: generated at init, wrapped at rest under the key-encryption secret,
 * rotated on demand. Retired keys stay in the ring so what they signed still verifies.
 */
import { randomBytes } from 'node:crypto';
import type { EventLog } from '../audit/store/event-log.ts';
import type { Clock } from '../core/clock.ts';
import { InputError, NotFoundError, TongbanError } from '../core/errors.ts';
import type { Db } from '../store/open-store.ts';
import { cryptoSuite, formatKid, unwrapPrivateKey, wrapPrivateKey, type CryptoSuite, type SuiteName } from '../crypto/index.ts';
import type { NodeKeyTable } from './store/tables.ts';

export type KeyUse = NodeKeyTable['use'];

/** What anyone may know about a key. */
export interface PublicKeyInfo {
  readonly kid: string;
  readonly id: string;
  readonly suite: SuiteName;
  readonly use: KeyUse;
  readonly status: 'active' | 'retired';
  /** base64url of the raw public key; absent for the session secret. */
  readonly publicKey: string | null;
  readonly createdAt: string;
  readonly retiredAt: string | null;
}

/** A key that can sign now. */
export interface Signer {
  readonly kid: string;
  readonly suite: CryptoSuite;
  readonly privateKey: Uint8Array;
}

export interface Keyring {
  list(): Promise<PublicKeyInfo[]>;
  /** The active signing key, unwrapped (cached after the first call). */
  signer(): Promise<Signer>;
  /**
   * A signing key of this node by kid, active or retired, unwrapped; undefined when there is none.
   * Only for hand-overs, where the previous key vouches for the next one after a rotation (even one
   * made by another process, or before a restart); everything else signs with `signer()`.
   */
  signerFor(kid: string): Promise<Signer | undefined>;
  /** The secret that signs staff access tokens. */
  sessionSecret(): Promise<Uint8Array>;
  /** The private encryption key with this kid (active or retired), to open bodies sealed for this node. */
  decryptionKey(kid: string): Promise<{ suite: CryptoSuite; privateKey: Uint8Array } | undefined>;
  /**
   * The key for keyed hashes of data subjects (ID numbers) in the event log. Created on first use and
   * never rotated, so one person's events stay findable for as long as the log is kept.
   */
  subjectKey(): Promise<Uint8Array>;
  /** The active and retired public keys for a kid of this node, or undefined. */
  resolve(kid: string): Promise<{ suite: CryptoSuite; publicKey: Uint8Array } | undefined>;
  /** Makes a fresh key of `use` active and retires the previous one, recording who did it. */
  rotate(actor: string, use: KeyUse): Promise<PublicKeyInfo>;
  /** Opens every active key once, so a wrong secret is reported at start-up rather than on first use. */
  checkSecret(): Promise<void>;
}

export interface KeyringDeps {
  readonly db: Db;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly nodeCode: string;
  readonly suite: SuiteName;
  readonly secret: string | undefined;
}

/** How long a process reuses the active signing key before looking for a rotation by another process. */
const signerCacheMs = 2000;

const keyPrefix: Readonly<Record<KeyUse, string>> = { sign: 's', encrypt: 'e', session: 't', subject: 'h' };

function aadFor(nodeCode: string, id: string): string {
  return `tongban-key:${nodeCode}:${id}`;
}

function requireSecret(secret: string | undefined): string {
  if (!secret) {
    throw new TongbanError(
      'key_secret_invalid',
      'No key-encryption secret is configured. Set TONGBAN_KEYS_SECRET, or keys.secretFile in tongban.yaml.',
    );
  }
  return secret;
}

/** Creates the key material for one use, wrapped for storage. */
function generateKeyRow(deps: Omit<KeyringDeps, 'db' | 'events'>, use: KeyUse): NodeKeyTable {
  const secret = requireSecret(deps.secret);
  const suite = cryptoSuite(deps.suite);
  const id = `${keyPrefix[use]}-${randomBytes(5).toString('hex')}`;
  let publicKey: Uint8Array | null;
  let privateKey: Uint8Array;
  if (use === 'session' || use === 'subject') {
    publicKey = null;
    privateKey = randomBytes(32);
  } else {
    const pair = use === 'sign' ? suite.generateSigningKey() : suite.generateAgreementKey();
    publicKey = pair.publicKey;
    privateKey = pair.privateKey;
  }
  return {
    id,
    suite: deps.suite,
    use,
    public_key: publicKey ? Buffer.from(publicKey) : null,
    wrapped_private: wrapPrivateKey(secret, privateKey, aadFor(deps.nodeCode, id)),
    status: 'active',
    created_at: deps.clock.now().toISOString(),
    retired_at: null,
  };
}

/** Generates the node's first signing, encryption and session keys inside the init transaction. */
export async function generateInitialKeys(trx: Db, deps: Omit<KeyringDeps, 'db' | 'events'>): Promise<PublicKeyInfo[]> {
  const rows = (['sign', 'encrypt', 'session'] as const).map((use) => generateKeyRow(deps, use));
  await trx.insertInto('node_keys').values(rows).execute();
  return rows.map((row) => toInfo(deps.nodeCode, row));
}

function toInfo(nodeCode: string, row: NodeKeyTable): PublicKeyInfo {
  return {
    kid: formatKid(nodeCode, row.id),
    id: row.id,
    suite: row.suite,
    use: row.use,
    status: row.status,
    publicKey: row.public_key ? Buffer.from(row.public_key).toString('base64url') : null,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
  };
}

export function createKeyring(deps: KeyringDeps): Keyring {
  const { db, events, nodeCode } = deps;
  const unwrapped = new Map<string, Uint8Array>();
  let cachedSigner: { signer: Signer; at: number } | undefined;
  let cachedSubjectKey: Uint8Array | undefined;
  // A key id names one key for ever (rotation adds a row, retiring keeps it), so what a kid resolves
  // to never changes: every radial exchange opens a sealed body, and the lookup would cost a query.
  // Only this node's own encryption keys are remembered, so the map grows by one per rotation.
  const decryptionKeys = new Map<string, { suite: CryptoSuite; privateKey: Uint8Array }>();

  async function activeRow(use: KeyUse): Promise<NodeKeyTable> {
    const row = await db
      .selectFrom('node_keys')
      .selectAll()
      .where('use', '=', use)
      .where('status', '=', 'active')
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`This node has no active ${use} key; run 'tongban keys rotate --use ${use}'.`);
    return row;
  }

  function open(row: NodeKeyTable): Uint8Array {
    const cached = unwrapped.get(row.id);
    if (cached) return cached;
    const privateKey = unwrapPrivateKey(requireSecret(deps.secret), row.wrapped_private, aadFor(nodeCode, row.id));
    unwrapped.set(row.id, privateKey);
    return privateKey;
  }

  /** The subject key from the database, created by the first process that needs it. */
  async function loadSubjectKey(): Promise<Uint8Array> {
    const existing = await db.selectFrom('node_keys').selectAll().where('use', '=', 'subject').orderBy('created_at').executeTakeFirst();
    if (existing) return open(existing);
    const row = generateKeyRow(deps, 'subject');
    // Two processes may race to create it: both rows are kept and every process uses the oldest.
    await db.insertInto('node_keys').values(row).onConflict((conflict) => conflict.doNothing()).execute();
    const stored = await db.selectFrom('node_keys').selectAll().where('use', '=', 'subject').orderBy('created_at').executeTakeFirstOrThrow();
    return open(stored);
  }

  return {
    async list() {
      const rows = await db.selectFrom('node_keys').selectAll().orderBy('created_at', 'asc').execute();
      return rows.map((row) => toInfo(nodeCode, row));
    },
    async signer() {
      // Every exchange signs twice; re-reading the active key each time costs more than the signature.
      // A rotation here clears the cache; one made by another process is seen within signerCacheMs.
      const now = Date.now();
      if (cachedSigner && now - cachedSigner.at < signerCacheMs) return cachedSigner.signer;
      const row = await activeRow('sign');
      const signer = { kid: formatKid(nodeCode, row.id), suite: cryptoSuite(row.suite), privateKey: open(row) };
      cachedSigner = { signer, at: now };
      return signer;
    },
    async signerFor(kid) {
      const [code, id] = kid.split('#');
      if (code !== nodeCode || !id) return undefined;
      const row = await db.selectFrom('node_keys').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || row.use !== 'sign') return undefined;
      return { kid: formatKid(nodeCode, row.id), suite: cryptoSuite(row.suite), privateKey: open(row) };
    },
    async sessionSecret() {
      return open(await activeRow('session'));
    },
    async decryptionKey(kid) {
      const cached = decryptionKeys.get(kid);
      if (cached) return cached;
      const [code, id] = kid.split('#');
      if (code !== nodeCode || !id) return undefined;
      const row = await db.selectFrom('node_keys').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || row.use !== 'encrypt') return undefined;
      const key = { suite: cryptoSuite(row.suite), privateKey: open(row) };
      decryptionKeys.set(kid, key);
      return key;
    },
    async subjectKey() {
      cachedSubjectKey ??= await loadSubjectKey();
      return cachedSubjectKey;
    },
    async resolve(kid) {
      const [code, id] = kid.split('#');
      if (code !== nodeCode || !id) return undefined;
      const row = await db.selectFrom('node_keys').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || !row.public_key || row.use !== 'sign') return undefined;
      return { suite: cryptoSuite(row.suite), publicKey: new Uint8Array(row.public_key) };
    },
    async rotate(actor, use) {
      if (use === 'subject') {
        throw new InputError('The subject key is never rotated: it keeps a person\'s events findable in the log.', { path: 'use' });
      }
      const row = generateKeyRow(deps, use);
      const now = row.created_at;
      cachedSigner = undefined;
      await db.transaction().execute(async (trx) => {
        const previous = await trx
          .updateTable('node_keys')
          .set({ status: 'retired', retired_at: now })
          .where('use', '=', use)
          .where('status', '=', 'active')
          .returning('id')
          .execute();
        await trx.insertInto('node_keys').values(row).execute();
        await events.append(trx, [
          {
            type: 'keys.rotated',
            actor,
            outcome: 'success',
            details: { use, kid: formatKid(nodeCode, row.id), retired: previous.map((p) => formatKid(nodeCode, p.id)) },
          },
        ]);
      });
      return toInfo(nodeCode, row);
    },
    async checkSecret() {
      for (const use of ['sign', 'encrypt', 'session'] as const) open(await activeRow(use));
    },
  };
}
