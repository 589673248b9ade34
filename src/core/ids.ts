/**
 * Identifiers: UUIDv7 (RFC 9562 §5.7), so ids sort by creation time and index well.
 *
 * Every exchange makes several ids on each node, and asking the operating system for 16 random
 * bytes each time cost more than the rest of making one; random bytes are drawn from a pool
 * refilled 4 KiB at a time. Within one millisecond the 12-bit `rand_a` field counts up from a
 * random start (RFC 9562 §6.2, method 1), so ids made by one process are strictly increasing.
 */
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomBytes(count: number): number {
  if (poolOffset + count > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += count;
  return at;
}

const hex = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

let lastMs = -1;
let counter = 0;

export function newId(): string {
  let ms = Date.now();
  if (ms > lastMs) {
    const at = randomBytes(2);
    // Start in the lower half, so a busy millisecond has room to count before it borrows the next.
    counter = ((pool[at]! << 8) | pool[at + 1]!) & 0x7ff;
    lastMs = ms;
  } else {
    counter += 1;
    if (counter > 0xfff) {
      lastMs += 1;
      counter = 0;
    }
    ms = lastMs;
  }
  const at = randomBytes(8);
  const high = Math.floor(ms / 2 ** 16);
  const low = ms % 2 ** 16;
  const time = `${hex[(high >>> 24) & 0xff]}${hex[(high >>> 16) & 0xff]}${hex[(high >>> 8) & 0xff]}${hex[high & 0xff]}-${hex[low >>> 8]}${hex[low & 0xff]}`;
  const version = `7${(counter >>> 8).toString(16)}${hex[counter & 0xff]}`;
  const variant = `${hex[(pool[at]! & 0x3f) | 0x80]}${hex[pool[at + 1]!]}`;
  let node = '';
  for (let index = 2; index < 8; index += 1) node += hex[pool[at + index]!];
  return `${time}-${version}-${variant}-${node}`;
}
