/**
 * Signing keys this process has held. The keyring only signs with its active key, but after a
 * rotation the hub must still recognise this node by its previous key: so the directory keeps
 * every signer it has seen since the process started and signs the hand-over (a hub key
 * transition, or a member's key update) with the old one.
 */
import type { Keyring, Signer } from '../keys/keyring.ts';

/** The signers a process has held, by kid. */
export interface HeldSigners {
  /** Fetches the keyring's active signer and remembers it. */
  refresh(): Promise<Signer>;
  /** A remembered signer with this kid. */
  get(kid: string): Signer | undefined;
}

/** Remembers signers of one keyring for the life of the process. */
export function createHeldSigners(keyring: Keyring): HeldSigners {
  const held = new Map<string, Signer>();
  return {
    async refresh() {
      const signer = await keyring.signer();
      held.set(signer.kid, signer);
      return signer;
    },
    get: (kid) => held.get(kid),
  };
}
