/**
 * A small least-recently-used map with a fixed capacity.
 *
 * Key objects, SM2 Z values and precomputed point tables are cached per key because partners'
 * keys repeat on every message; the bound keeps a flood of distinct keys from growing memory.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, V>();
  // The most recently used key: a hit on it needs no reordering, the common case when one
  // key does most of the work.
  #newest: K | undefined;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  /** The cached value, marked as most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined || key === this.#newest) return value;
    // Re-inserting moves the key to the end of Map's insertion order, i.e. "newest".
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#newest = key;
    return value;
  }

  /** Stores a value, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#newest = key;
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /** The cached value, or the one `create` makes (which is then cached). */
  getOrCreate(key: K, create: (key: K) => V): V {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const value = create(key);
    this.set(key, value);
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
    this.#newest = undefined;
  }
}

/**
 * Caches a value derived from a private key (a KeyObject, a precomputed public key).
 *
 * Lookups go first by the array's identity (signers hold on to one array), checked against a
 * copy so that a mutated array is not mistaken for the old key; then by a SHA-256 of the key
 * bytes, so callers that rebuild the array each time still hit without the secret itself
 * becoming a long-lived string.
 */
export class PrivateKeyCache<V> {
  readonly #byIdentity = new WeakMap<Uint8Array, { readonly bytes: Uint8Array; readonly value: V }>();
  readonly #byDigest: BoundedCache<string, V>;

  constructor(
    capacity: number,
    private readonly digest: (key: Uint8Array) => string,
  ) {
    this.#byDigest = new BoundedCache(capacity);
  }

  /** The value for this key, built by `create` on first use. */
  getOrCreate(key: Uint8Array, create: (key: Uint8Array) => V): V {
    const hit = this.#byIdentity.get(key);
    if (hit !== undefined && sameBytes(hit.bytes, key)) return hit.value;
    const value = this.#byDigest.getOrCreate(this.digest(key), () => create(key));
    this.#byIdentity.set(key, { bytes: Uint8Array.from(key), value });
    return value;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
