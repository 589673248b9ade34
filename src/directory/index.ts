/**
 * The federation directory: what other contexts may use. (Interface fixed by the node wiring;
 * the directory context fills in the implementation.)
 */
import type { Command } from 'commander';
import type { CryptoSuite, SuiteName } from '../crypto/index.ts';
import { TongbanError } from '../core/errors.ts';
import type { Output } from '../cli/output.ts';
import type { Server } from '../node/http/build-server.ts';
import type { BackgroundService, NodeCore } from '../node/node-core.ts';

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
}

/** How fresh this node's copy of the directory is. */
export interface DirectoryStatus {
  readonly state: 'none' | 'fresh' | 'stale' | 'expired';
  readonly version: number | null;
  readonly fetchedAt: string | null;
  readonly expiresAt: string | null;
  readonly hub: string | null;
  readonly warning?: string;
}

export interface DirectoryService extends BackgroundService {
  /** The member with this code in the usable directory copy, or undefined. */
  member(code: string): DirectoryMember | undefined;
  /** The key that verifies signatures by `kid` made at `at` (valid then, member known), or undefined. */
  verificationKey(kid: string, at: Date): { readonly suite: CryptoSuite; readonly publicKey: Uint8Array } | undefined;
  /** A member's current encryption key, for sealing bodies relayed through the hub. */
  encryptionKey(code: string): { readonly kid: string; readonly suite: CryptoSuite; readonly publicKey: Uint8Array } | undefined;
  /** The hub member, once known. */
  hub(): DirectoryMember | undefined;
  /** Throws `directory_unavailable` or `directory_stale` when the copy may not be used now. */
  assertUsable(): void;
  status(): DirectoryStatus;
}

// TEMPORARY placeholders until the directory context lands; they keep the node runnable meanwhile.
export async function createDirectoryService(_core: NodeCore): Promise<DirectoryService> {
  return {
    member: () => undefined,
    verificationKey: () => undefined,
    encryptionKey: () => undefined,
    hub: () => undefined,
    assertUsable: () => {
      throw new TongbanError('directory_unavailable', 'This node has not joined a federation yet.');
    },
    status: () => ({ state: 'none', version: null, fetchedAt: null, expiresAt: null, hub: null }),
    start: () => undefined,
    stop: async () => undefined,
  };
}
export async function registerDirectoryRoutes(_app: Server, _node: import('../node/open-node.ts').NodeContext): Promise<void> {}
export function registerDirectoryCommands(_program: Command, _output: Output): void {}
