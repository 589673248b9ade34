/**
 * Events: the facts a node records about itself, one leaf of its audit log each.
 */

/** Whether what the event records succeeded, failed, or was refused on purpose. */
export type EventOutcome = 'success' | 'failure' | 'denied';

/** What a service says happened; the log adds id, time and position. */
export interface EventInput {
  /** Dotted name, context first: `staff.login`, `staff.login_failed`, `keys.rotated`, … */
  readonly type: string;
  /** Who acted: `staff:<account id>`, `token:<token id>`, `node:<code>` or `system`. */
  readonly actor: string | null;
  readonly outcome: EventOutcome;
  /** Keyed hash of the data subject the event concerns, if any. */
  readonly subjectHash?: string | null;
  /** Event-specific facts. Never secrets, never identifiers of people in clear. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** An event as it stands in the log. */
export interface LoggedEvent extends EventInput {
  readonly seq: number;
  readonly id: string;
  readonly ts: string;
}

/** The object whose canonical JSON is the log leaf. The sequence number is the leaf's position, not part of it. */
export function leafObject(event: Omit<LoggedEvent, 'seq'>): Record<string, unknown> {
  return {
    id: event.id,
    ts: event.ts,
    type: event.type,
    actor: event.actor,
    outcome: event.outcome,
    subject: event.subjectHash ?? null,
    details: event.details,
  };
}

/** RFC 9162 leaf hash input: 0x00 ‖ leaf bytes. */
export function leafHashInput(leaf: Uint8Array): Uint8Array {
  const input = new Uint8Array(leaf.length + 1);
  input[0] = 0;
  input.set(leaf, 1);
  return input;
}
