/**
 * Remediation tasks: opened from failed quality rules, assigned, fixed, and verified by a re-run
 * that passes (or closed as won't fix). The state machine, pure.
 *
 *   open → assigned → fixed → verified
 *     ↘        ↘        ↘
 *      wont_fix  wont_fix  (a failing re-run leaves a fixed task fixed: the next passing run verifies it)
 *
 * A passing re-run verifies open and assigned tasks too: the data is the evidence, whoever
 * fixed it. `verified` and `wont_fix` are final.
 */
import { ConflictError } from '../../core/errors.ts';

/** The states of a remediation task. */
export const remediationStates = ['open', 'assigned', 'fixed', 'verified', 'wont_fix'] as const;
/** A remediation task's state. */
export type RemediationState = (typeof remediationStates)[number];

/** What a person (or a run) does to a task. */
export type RemediationAction = 'assign' | 'fix' | 'wont_fix' | 'verify';

const allowed: Readonly<Record<RemediationAction, readonly RemediationState[]>> = {
  assign: ['open', 'assigned'],
  fix: ['assigned'],
  wont_fix: ['open', 'assigned', 'fixed'],
  verify: ['open', 'assigned', 'fixed'],
};

const resulting: Readonly<Record<RemediationAction, RemediationState>> = { assign: 'assigned', fix: 'fixed', wont_fix: 'wont_fix', verify: 'verified' };

/** Whether a task in this state still needs work (and blocks opening a second task for the same rule). */
export function isOpenState(state: RemediationState): boolean {
  return state !== 'verified' && state !== 'wont_fix';
}

/** The state after an action, or a `remediation_transition_invalid` conflict naming what is allowed. */
export function nextRemediationState(task: { readonly id: string; readonly state: RemediationState }, action: RemediationAction): RemediationState {
  if (!allowed[action].includes(task.state)) {
    const possible = (Object.keys(allowed) as RemediationAction[]).filter((candidate) => allowed[candidate].includes(task.state) && candidate !== 'verify');
    throw new ConflictError(
      `Remediation task ${task.id} is ${task.state}; it cannot be ${action === 'fix' ? 'marked fixed' : action === 'wont_fix' ? "closed as won't fix" : `${action}ed`} (${possible.length > 0 ? `possible now: ${possible.join(', ')}` : 'it is closed'}).`,
      { task: task.id, state: task.state, action },
      'remediation_transition_invalid',
    );
  }
  return resulting[action];
}
