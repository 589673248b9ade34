/**
 * The lifecycle of one version of an agreement at one node:
 *
 *   draft → proposed → signed → active ⇄ suspended
 *   active | suspended | signed → expired          (validity.to has passed)
 *   any state not yet final → terminated            (a party ends it)
 *   active | suspended | signed | proposed | draft → superseded (a newer version was activated)
 *
 * `signed` is reached by itself when this node holds a valid signature of every party on the
 * same document hash; `active` only by a local act of activation. `expired`, `terminated` and
 * `superseded` are final: a changed agreement is a new version, signed anew.
 */
import { ConflictError } from '../../core/errors.ts';

/** Every state a version can be in. */
export const agreementStates = ['draft', 'proposed', 'signed', 'active', 'suspended', 'expired', 'terminated', 'superseded'] as const;
export type AgreementState = (typeof agreementStates)[number];

/** States no transition leaves. */
export const finalStates: readonly AgreementState[] = ['expired', 'terminated', 'superseded'];

const allowed: Readonly<Record<AgreementState, readonly AgreementState[]>> = {
  draft: ['proposed', 'terminated', 'superseded'],
  proposed: ['signed', 'terminated', 'superseded'],
  signed: ['active', 'expired', 'terminated', 'superseded'],
  active: ['suspended', 'expired', 'terminated', 'superseded'],
  suspended: ['active', 'expired', 'terminated', 'superseded'],
  expired: [],
  terminated: [],
  superseded: [],
};

/** Whether a version may move from one state to another. */
export function canTransition(from: AgreementState, to: AgreementState): boolean {
  return allowed[from].includes(to);
}

/** The states a version may move to next. */
export function nextStates(from: AgreementState): readonly AgreementState[] {
  return allowed[from];
}

/** Throws `agreement_transition_invalid`, saying what is possible instead, unless the move is allowed. */
export function assertTransition(agreement: string, version: number, from: AgreementState, to: AgreementState): void {
  if (canTransition(from, to)) return;
  const next = allowed[from];
  throw new ConflictError(
    `${agreement} version ${version} is ${from}; it cannot become ${to}${next.length > 0 ? ` (from ${from} it can become ${next.join(', ')})` : ' (that state is final; import a new version instead)'}.`,
    { agreement, version, from, to },
    'agreement_transition_invalid',
  );
}

/** Whether a state is final. */
export function isFinal(state: AgreementState): boolean {
  return finalStates.includes(state);
}
