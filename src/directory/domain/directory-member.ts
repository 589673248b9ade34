/**
 * Members of the federation directory and their keys: the types everyone reads, the schemas that
 * check them when they arrive from the network, and when a key may verify a signature.
 */
import { z } from 'zod';
import { nodeLevels, suiteNames } from '../../config/schema.ts';
import { InputError } from '../../core/errors.ts';
import { parseKid, type SuiteName } from '../../crypto/index.ts';

/** A key a member publishes in the directory. */
export interface DirectoryKey {
  readonly kid: string;
  readonly use: 'sign' | 'encrypt';
  readonly suite: SuiteName;
  /** base64url of the raw public key. */
  readonly publicKey: string;
  readonly validFrom: string;
  /** null while the key is current; set when it is retired (it still verifies what it signed before). */
  readonly validUntil: string | null;
}

/** One member of the federation. */
export interface DirectoryMember {
  readonly code: string;
  readonly name: string;
  readonly level: string;
  readonly parent: string | null;
  readonly role: 'node' | 'hub';
  /** Base URL of the member's API. */
  readonly endpoint: string;
  readonly status: 'active' | 'suspended';
  readonly keys: readonly DirectoryKey[];
  /**
   * Open integrity alerts witnesses reported about the member's audit log, until a hub
   * administrator acknowledges them. Absent when there are none, so a directory without alerts
   * is byte for byte what hubs published before the field existed.
   */
  readonly integrity?: IntegritySummary;
}

/** What the directory tells every member about another member's open integrity alerts. */
export interface IntegritySummary {
  /** How many alerts are open (at least 1). */
  readonly alerts: number;
  /** When the newest open alert was detected. */
  readonly latestAt: string;
  /** The kinds of inconsistency found (fork, truncated, …), sorted. */
  readonly kinds: readonly string[];
  /** The codes of the witnesses that reported them, sorted. */
  readonly witnesses: readonly string[];
}

/** A node code as the configuration accepts it: GB/T 2260 (6 digits) or an upper-case ministry code. */
export const nodeCodePattern = /^(\d{6}|[A-Z][A-Z0-9]{1,15})$/;

/** Raw public key sizes per suite: Ed25519/X25519 are 32 bytes, SM2 points 65 (04 ‖ x ‖ y). */
const publicKeyBytes: Readonly<Record<SuiteName, number>> = { intl: 32, sm: 65 };

/** A node code. */
export const nodeCodeSchema = z.string().regex(nodeCodePattern, 'a 6-digit GB/T 2260 code or an upper-case ministry code');
/** An ISO 8601 UTC timestamp as `Date#toISOString` writes it. */
export const timestampSchema = z.iso.datetime({ message: 'an ISO 8601 UTC timestamp such as 2026-01-01T00:00:00.000Z' });
/** A member's base URL. */
export const endpointSchema = z
  .string()
  .max(500)
  .refine((value) => isHttpUrl(value), 'an http:// or https:// URL');

const kidSchema = z
  .string()
  .max(100)
  .refine((value) => {
    try {
      parseKid(value);
      return true;
    } catch {
      return false;
    }
  }, 'a kid of the form <node code>#<key id>');

const keyFields = {
  kid: kidSchema,
  use: z.enum(['sign', 'encrypt']),
  suite: z.enum(suiteNames),
  publicKey: z.string().max(200).refine(isBase64Url, 'base64url'),
  validFrom: timestampSchema,
};

const rightSize = {
  check: (key: { suite: SuiteName; publicKey: string }) => Buffer.from(key.publicKey, 'base64url').length === publicKeyBytes[key.suite],
  message: 'a raw public key of the size its suite uses (32 bytes intl, 65 bytes sm)',
};

/** A current key as an application lists it (no `validUntil`). */
export const currentKeySchema = z.strictObject(keyFields).refine(rightSize.check, { message: rightSize.message, path: ['publicKey'] });

/** A key as it travels in key updates and directory documents. */
export const directoryKeySchema = z
  .strictObject({ ...keyFields, validUntil: timestampSchema.nullable() })
  .refine(rightSize.check, { message: rightSize.message, path: ['publicKey'] })
  .refine((key) => key.validUntil === null || key.validUntil >= key.validFrom, {
    message: 'validUntil must not be before validFrom',
    path: ['validUntil'],
  });

/** A member's open integrity alerts as a directory document lists them. */
export const integritySummarySchema = z.object({
  alerts: z.number().int().min(1),
  latestAt: timestampSchema,
  kinds: z.array(z.string().min(1).max(40)).min(1).max(16),
  witnesses: z.array(nodeCodeSchema).min(1).max(10_000),
});

/**
 * A member as a directory document lists it. Fields this build does not know are dropped rather
 * than refused (the signature covers the payload bytes, not this schema), so a hub may add
 * optional fields without cutting off members that have not been upgraded yet.
 */
export const directoryMemberSchema = z
  .object({
    code: nodeCodeSchema,
    name: z.string().min(1).max(100),
    level: z.enum(nodeLevels),
    parent: nodeCodeSchema.nullable(),
    role: z.enum(['node', 'hub']),
    endpoint: endpointSchema,
    status: z.enum(['active', 'suspended']),
    keys: z.array(directoryKeySchema).max(64),
    integrity: integritySummarySchema.optional(),
  })
  .refine((member) => member.keys.every((key) => parseKid(key.kid).node === member.code), {
    message: "every key's kid must start with the member's own code",
    path: ['keys'],
  });

/** Whether `text` is unpadded base64url of some byte string. */
export function isBase64Url(text: string): boolean {
  return text.length % 4 !== 1 && /^[A-Za-z0-9_-]*$/.test(text);
}

/** Whether `value` parses as an absolute http(s) URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A base URL without trailing slashes, so paths can be appended. */
export function normaliseBaseUrl(value: string): string {
  return value.replace(/\/+$/, '');
}

/**
 * Parses `value` with a schema, or throws `InputError` naming the first offending path, prefixed
 * by `what`, so a person can find the fault.
 */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [what, ...(issue?.path ?? []).map(String)].join('.');
  throw new InputError(`${path}: ${issue?.message ?? 'invalid'}.`, { path });
}

/** Whether a key's validity covers the instant `at` (from inclusive, until exclusive). */
export function keyValidAt(key: Pick<DirectoryKey, 'validFrom' | 'validUntil'>, at: Date): boolean {
  const time = at.getTime();
  if (time < Date.parse(key.validFrom)) return false;
  return key.validUntil === null || time < Date.parse(key.validUntil);
}

/** The member's current (not retired) keys of one use. */
export function currentKeys(member: Pick<DirectoryMember, 'keys'>, use: DirectoryKey['use']): DirectoryKey[] {
  return member.keys.filter((key) => key.use === use && key.validUntil === null);
}

/**
 * The parent division of a GB/T 2260 code: a county's prefecture (xxxx00), a prefecture's
 * province (xx0000); provinces and ministry codes have none.
 */
export function parentOf(code: string): string | null {
  if (!/^\d{6}$/.test(code) || code.endsWith('0000')) return null;
  if (code.endsWith('00')) return `${code.slice(0, 2)}0000`;
  return `${code.slice(0, 4)}00`;
}
