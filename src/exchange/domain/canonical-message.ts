/**
 * The signed text of a message with and without its time, without serialising it again. In RFC
 * 8785 form the members are sorted, so the text without `ts` is the text with that one member cut
 * out, and the reverse. `ts` is never the first member (`agreement` sorts before it) and only
 * `via`, a node code, may follow it: both functions check that tail, so they only ever touch the
 * top-level member, and say `undefined` for text they were not meant for.
 */
import type { Message } from './message.ts';

/** What follows the top-level `ts` member: an optional `via`, then the end of the message. */
const tail = /(?:,"via":"[A-Za-z0-9]{2,32}")?\}$/;

/** The canonical text of `message` (with `ts`) from the canonical text of the message without it. */
export function withTimestamp(timelessText: string, message: Pick<Message, 'ts'>): string {
  const at = timelessText.search(tail);
  if (at < 0) throw new Error('not the canonical text of an exchange message');
  return `${timelessText.slice(0, at)},"ts":${JSON.stringify(message.ts)}${timelessText.slice(at)}`;
}

/** The canonical text without `ts` from the canonical text of `message`; undefined if the member is not where it must be. */
export function withoutTimestamp(canonicalText: string, message: Pick<Message, 'ts'>): string | undefined {
  const member = `,"ts":${JSON.stringify(message.ts)}`;
  const at = canonicalText.lastIndexOf(member);
  if (at < 0) return undefined;
  const rest = canonicalText.slice(at + member.length);
  const match = tail.exec(rest);
  if (match === null || match.index !== 0) return undefined;
  return canonicalText.slice(0, at) + rest;
}
