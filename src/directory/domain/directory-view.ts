/**
 * An index over one verified directory document that answers the gateway's questions
 * synchronously: who is this member, which key verifies this kid at that time, where do I seal
 * a body for that node. Keys are decoded once, when the view is built, not on every message.
 */
import { cryptoSuite, type CryptoSuite } from '../../crypto/index.ts';
import type { DirectoryDocument } from './directory-document.ts';
import type { DirectoryKey, DirectoryMember } from './directory-member.ts';

/** A public key ready for a crypto suite. */
export interface ResolvedKey {
  readonly suite: CryptoSuite;
  readonly publicKey: Uint8Array;
}

/** The synchronous questions a directory copy answers. */
export interface DirectoryView {
  readonly document: DirectoryDocument;
  members(): readonly DirectoryMember[];
  member(code: string): DirectoryMember | undefined;
  /** The signing key `kid` if its member is listed and active and the key was valid at `at`. */
  verificationKey(kid: string, at: Date): ResolvedKey | undefined;
  /** The current encryption key of an active member. */
  encryptionKey(code: string): (ResolvedKey & { readonly kid: string }) | undefined;
  hub(): DirectoryMember | undefined;
}

interface IndexedKey {
  readonly key: DirectoryKey;
  readonly member: DirectoryMember;
  readonly resolved: ResolvedKey;
  readonly from: number;
  readonly until: number | null;
}

/** Builds the view of a verified document. */
export function indexDirectory(document: DirectoryDocument): DirectoryView {
  const members = new Map<string, DirectoryMember>();
  const keys = new Map<string, IndexedKey>();
  const encryption = new Map<string, ResolvedKey & { readonly kid: string }>();
  for (const member of document.members) {
    members.set(member.code, member);
    for (const key of member.keys) {
      const resolved = { suite: cryptoSuite(key.suite), publicKey: new Uint8Array(Buffer.from(key.publicKey, 'base64url')) };
      keys.set(key.kid, {
        key,
        member,
        resolved,
        from: Date.parse(key.validFrom),
        until: key.validUntil === null ? null : Date.parse(key.validUntil),
      });
      // The newest current encryption key wins, should a member ever list two.
      const held = encryption.get(member.code);
      if (key.use === 'encrypt' && key.validUntil === null && (!held || keys.get(held.kid)!.from <= Date.parse(key.validFrom))) {
        encryption.set(member.code, { ...resolved, kid: key.kid });
      }
    }
  }
  const hubMember = members.get(document.hub);
  return Object.freeze({
    document,
    members: () => document.members,
    member: (code: string) => members.get(code),
    verificationKey(kid: string, at: Date) {
      const entry = keys.get(kid);
      if (!entry || entry.key.use !== 'sign' || entry.member.status !== 'active') return undefined;
      // The kid names its node; a key listed under another member must not verify for it.
      if (kid.slice(0, kid.indexOf('#')) !== entry.member.code) return undefined;
      const time = at.getTime();
      if (Number.isNaN(time) || time < entry.from || (entry.until !== null && time >= entry.until)) return undefined;
      return entry.resolved;
    },
    encryptionKey(code: string) {
      const member = members.get(code);
      if (!member || member.status !== 'active') return undefined;
      return encryption.get(code);
    },
    hub: () => hubMember,
  });
}
