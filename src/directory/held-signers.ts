/**
 * Signing keys for hand-overs. After a rotation the hub (or a member's partners) must still
 * recognise this node by its previous key, so the hand-over (a hub key transition, or a member's
 * key update) is signed with the old one: a signer this process held, or else the retired key
 * from the keyring, so a restart (or a rotation by another process) between the rotation and the
 * hand-over does not lose it.
 */
import type { Keyring, Signer } from '../keys/keyring.ts';

/** The signers a process has held, by kid. */
export interface HeldSigners {
  /** Fetches the keyring's active signer and remembers it. */
  refresh(): Promise<Signer>;
  /** The signer with this kid: remembered, or unwrapped from the keyring; undefined when it is not this node's. */
  get(kid: string): Promise<Signer | undefined>;
  /** The first of these kids this node can sign with. */
  first(kids: readonly string[]): Promise<Signer | undefined>;
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
    get,
    async first(kids) {
      for (const kid of kids) {
        const signer = await get(kid);
        if (signer) return signer;
      }
      return undefined;
    },
  };

  async function get(kid: string): Promise<Signer | undefined> {
    const remembered = held.get(kid);
    if (remembered) return remembered;
    const stored = await keyring.signerFor(kid);
    if (stored) held.set(kid, stored);
    return stored;
  }
}
