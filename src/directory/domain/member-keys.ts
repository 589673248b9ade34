/**
 * Keeping a member's directory keys in step with its keyring: what the keyring says, what a
 * signed key update proposes, and how the hub merges a proposal into what it holds.
 */
import { z } from 'zod';
import { InputError } from '../../core/errors.ts';
import { directoryKeySchema, nodeCodeSchema, timestampSchema, type DirectoryKey } from './directory-member.ts';

/** The `type` of a member's key update payload. */
export const memberKeysType = 'tongban.member-keys';

/** The payload of a signed key update a member sends the hub. */
export interface MemberKeysUpdate {
  readonly type: typeof memberKeysType;
  readonly code: string;
  readonly keys: readonly DirectoryKey[];
  readonly ts: string;
}

/** The schema of a member's key update payload. */
export const memberKeysUpdateSchema = z
  .strictObject({
    type: z.literal(memberKeysType),
    code: nodeCodeSchema,
    keys: z.array(directoryKeySchema).min(1).max(64),
    ts: timestampSchema,
  })
  .refine((update) => update.keys.every((key) => key.kid.startsWith(`${update.code}#`)), {
    message: "every key's kid must start with the member's own code",
    path: ['keys'],
  });

/** A keyring entry as the keyring lists it. */
export interface KeyringEntry {
  readonly kid: string;
  readonly use: string;
  readonly suite: DirectoryKey['suite'];
  readonly publicKey: string | null;
  readonly status: 'active' | 'retired';
  readonly createdAt: string;
  readonly retiredAt: string | null;
}

/** The keyring's signing and encryption keys as directory keys (session and other secrets never leave). */
export function keyringDirectoryKeys(entries: readonly KeyringEntry[]): DirectoryKey[] {
  return entries
    .filter((entry): entry is KeyringEntry & { use: 'sign' | 'encrypt'; publicKey: string } =>
      (entry.use === 'sign' || entry.use === 'encrypt') && entry.publicKey !== null,
    )
    .map((entry) => ({
      kid: entry.kid,
      use: entry.use,
      suite: entry.suite,
      publicKey: entry.publicKey,
      validFrom: entry.createdAt,
      validUntil: entry.status === 'retired' ? (entry.retiredAt ?? entry.createdAt) : null,
    }))
    .sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
}

/**
 * Whether the keyring knows something the directory entry does not: a key it lacks, or a key
 * the keyring has retired that the entry still shows as current.
 */
export function keyringAhead(keyring: readonly DirectoryKey[], listed: readonly DirectoryKey[]): boolean {
  const byKid = new Map(listed.map((key) => [key.kid, key]));
  return keyring.some((key) => {
    const entry = byKid.get(key.kid);
    return entry === undefined || (key.validUntil !== null && entry.validUntil === null);
  });
}

/** A short, order-independent description of a key set: the same keys with the same retirements give the same string. */
export function keySetFingerprint(keys: readonly DirectoryKey[]): string {
  return keys
    .map((key) => `${key.kid}@${key.validUntil ?? 'current'}`)
    .sort()
    .join(',');
}

/** The outcome of merging a proposed key set into the registered one. */
export interface KeyMerge {
  readonly keys: readonly DirectoryKey[];
  readonly added: readonly string[];
  readonly retired: readonly string[];
}

/**
 * Merges a member's proposed keys into those the hub holds for it: new kids are added, current
 * keys the proposal retires get their `validUntil`; a key is never changed otherwise nor brought
 * back from retirement, and keys the proposal omits stay as they are. At least one current
 * signing and one current encryption key must remain.
 */
export function mergeKeys(registered: readonly DirectoryKey[], proposed: readonly DirectoryKey[]): KeyMerge {
  const merged = new Map(registered.map((key) => [key.kid, key]));
  const added: string[] = [];
  const retired: string[] = [];
  proposed.forEach((key, index) => {
    const existing = merged.get(key.kid);
    if (existing === undefined) {
      merged.set(key.kid, key);
      added.push(key.kid);
      return;
    }
    if (existing.publicKey !== key.publicKey || existing.use !== key.use || existing.suite !== key.suite) {
      throw new InputError(`keys.${index}: key ${key.kid} is already registered with another public key, use or suite.`, {
        path: `keys.${index}`,
      });
    }
    if (existing.validUntil === null && key.validUntil !== null) {
      merged.set(key.kid, { ...existing, validUntil: key.validUntil });
      retired.push(key.kid);
    }
  });
  const keys = [...merged.values()].sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
  for (const use of ['sign', 'encrypt'] as const) {
    if (!keys.some((key) => key.use === use && key.validUntil === null)) {
      throw new InputError(`The update would leave no current ${use} key.`, { path: 'keys' });
    }
  }
  return { keys, added, retired };
}
