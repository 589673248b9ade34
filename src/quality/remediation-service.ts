/**
 * Remediation tasks: opened from the failed rules of a run (by a steward, or automatically when
 * a run asks for it), assigned, marked fixed, and verified by the next run in which the rule
 * passes. Every change appends its event in the same transaction; refusals are recorded too.
 */
import { ConflictError, InputError, markRecorded, NotFoundError, toTongbanError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { actorName, type Actor } from '../identity/index.ts';
import type { NodeCore } from '../node/node-core.ts';
import type { Trx } from '../store/open-store.ts';
import { nextRemediationState, type RemediationAction, type RemediationState } from './domain/remediation.ts';
import type { RuleResult } from './domain/results.ts';
import type { QualityRemediationTaskTable } from './store/tables.ts';

/** A remediation task. */
export interface RemediationTask {
  readonly id: string;
  readonly dataset: string;
  readonly rule: string;
  readonly state: RemediationState;
  readonly openedRun: string;
  readonly failedAtOpen: number;
  readonly assignee: string | null;
  readonly note: string | null;
  readonly verifiedRun: string | null;
  readonly openedBy: string;
  readonly openedAt: string;
  readonly updatedAt: string;
}

/** What happened to one rule when tasks were opened from a run. */
export interface OpenTaskResult {
  readonly rule: string;
  readonly status: 'opened' | 'already_open' | 'not_failed';
  readonly task?: RemediationTask;
}

/** The run facts remediation needs. */
export interface RunFacts {
  readonly id: string;
  readonly dataset: string;
  readonly results: readonly Pick<RuleResult, 'name' | 'status' | 'failed'>[];
}

/** What remediation offers. */
export interface RemediationService {
  /** Opens tasks for the failed rules of a stored run (all of them, or the named ones). */
  openFromRun(actor: Actor, runId: string, rules?: readonly string[]): Promise<{ results: OpenTaskResult[] }>;
  /** Tasks, newest first, optionally of one dataset and in some states. */
  list(filter?: { readonly dataset?: string; readonly states?: readonly RemediationState[]; readonly limit?: number }): Promise<RemediationTask[]>;
  get(id: string): Promise<RemediationTask>;
  assign(actor: Actor, id: string, assignee: string): Promise<RemediationTask>;
  markFixed(actor: Actor, id: string, note?: string): Promise<RemediationTask>;
  wontFix(actor: Actor, id: string, reason: string): Promise<RemediationTask>;
  /** Inside a run's transaction: verifies tasks whose rule now passes; opens tasks for failures when asked. */
  afterRun(trx: Trx, actor: string, run: RunFacts, autoOpen: boolean): Promise<void>;
}

function taskOf(row: QualityRemediationTaskTable): RemediationTask {
  return {
    id: row.id,
    dataset: row.dataset,
    rule: row.rule,
    state: row.state,
    openedRun: row.opened_run,
    failedAtOpen: Number(row.failed_at_open),
    assignee: row.assignee,
    note: row.note,
    verifiedRun: row.verified_run,
    openedBy: row.opened_by,
    openedAt: row.opened_at,
    updatedAt: row.updated_at,
  };
}

/** Creates the remediation service; `loadRun` reads a stored run's results. */
export function createRemediationService(core: NodeCore, loadRun: (id: string) => Promise<RunFacts>): RemediationService {
  const { store, clock, events } = core;
  const { db } = store;

  async function refused(actor: Actor, details: Record<string, unknown>, error: unknown): Promise<never> {
    const failure = toTongbanError(error);
    if (failure.kind !== 'internal') {
      await events.record({ type: 'quality.task_refused', actor: actorName(actor), outcome: 'denied', details: { ...details, code: failure.code, message: failure.message.slice(0, 300) } });
      markRecorded(failure);
    }
    throw failure;
  }

  async function openTasks(trx: Trx, actor: string, run: RunFacts, rules: readonly string[] | undefined): Promise<OpenTaskResult[]> {
    const now = clock.now().toISOString();
    const open = await trx
      .selectFrom('quality_remediation_tasks')
      .selectAll()
      .where('dataset', '=', run.dataset)
      .where('state', 'in', ['open', 'assigned', 'fixed'])
      .execute();
    const results: OpenTaskResult[] = [];
    for (const result of run.results) {
      if (rules && !rules.includes(result.name)) continue;
      if (result.status !== 'fail') {
        results.push({ rule: result.name, status: 'not_failed' });
        continue;
      }
      const existing = open.find((row) => row.rule === result.name);
      if (existing) {
        results.push({ rule: result.name, status: 'already_open', task: taskOf(existing) });
        continue;
      }
      const row: QualityRemediationTaskTable = {
        id: newId(),
        dataset: run.dataset,
        rule: result.name,
        state: 'open',
        opened_run: run.id,
        failed_at_open: result.failed,
        assignee: null,
        note: null,
        verified_run: null,
        opened_by: actor,
        opened_at: now,
        updated_at: now,
      };
      await trx.insertInto('quality_remediation_tasks').values(row).execute();
      await events.append(trx, [{ type: 'quality.task_opened', actor, outcome: 'success', details: { task: row.id, dataset: row.dataset, rule: row.rule, run: run.id, failed: result.failed } }]);
      results.push({ rule: result.name, status: 'opened', task: taskOf(row) });
    }
    return results;
  }

  async function transition(actor: Actor, id: string, action: Exclude<RemediationAction, 'verify'>, change: { assignee?: string; note?: string }): Promise<RemediationTask> {
    try {
      return await db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('quality_remediation_tasks').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError(`No remediation task ${id} is stored here.`, { task: id });
        const state = nextRemediationState(row, action);
        const updated: QualityRemediationTaskTable = {
          ...row,
          state,
          ...(change.assignee === undefined ? {} : { assignee: change.assignee }),
          ...(change.note === undefined ? {} : { note: change.note }),
          updated_at: clock.now().toISOString(),
        };
        // The state in the WHERE makes a concurrent change lose cleanly instead of overwriting.
        const result = await trx
          .updateTable('quality_remediation_tasks')
          .set({ state: updated.state, assignee: updated.assignee, note: updated.note, updated_at: updated.updated_at })
          .where('id', '=', id)
          .where('state', '=', row.state)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) throw new ConflictError(`Remediation task ${id} changed while this was being done; reload it and try again.`, { task: id }, 'remediation_transition_invalid');
        await events.append(trx, [
          { type: `quality.task_${action === 'assign' ? 'assigned' : action === 'fix' ? 'fixed' : 'wont_fix'}`, actor: actorName(actor), outcome: 'success', details: { task: id, dataset: row.dataset, rule: row.rule, from: row.state, to: state, ...change } },
        ]);
        return taskOf(updated);
      });
    } catch (error) {
      return refused(actor, { task: id, action }, error);
    }
  }

  return {
    async openFromRun(actor, runId, rules) {
      let run: RunFacts;
      try {
        run = await loadRun(runId);
        const unknown = (rules ?? []).filter((name) => !run.results.some((result) => result.name === name));
        if (unknown.length > 0) throw new InputError(`Run ${runId} has no rule named ${unknown.map((name) => JSON.stringify(name)).join(', ')}.`, { run: runId, rules: unknown });
      } catch (error) {
        return refused(actor, { run: runId }, error);
      }
      const results = await db.transaction().execute((trx) => openTasks(trx, actorName(actor), run, rules));
      return { results };
    },

    async list(filter = {}) {
      let query = db.selectFrom('quality_remediation_tasks').selectAll();
      if (filter.dataset !== undefined) query = query.where('dataset', '=', filter.dataset);
      if (filter.states && filter.states.length > 0) query = query.where('state', 'in', [...filter.states]);
      const rows = await query.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(Math.min(500, Math.max(1, filter.limit ?? 100))).execute();
      return rows.map(taskOf);
    },

    async get(id) {
      const row = await db.selectFrom('quality_remediation_tasks').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError(`No remediation task ${id} is stored here.`, { task: id });
      return taskOf(row);
    },

    assign(actor, id, assignee) {
      return transition(actor, id, 'assign', { assignee });
    },

    markFixed(actor, id, note) {
      return transition(actor, id, 'fix', note === undefined ? {} : { note });
    },

    wontFix(actor, id, reason) {
      return transition(actor, id, 'wont_fix', { note: reason });
    },

    async afterRun(trx, actor, run, autoOpen) {
      const open = await trx.selectFrom('quality_remediation_tasks').selectAll().where('dataset', '=', run.dataset).where('state', 'in', ['open', 'assigned', 'fixed']).execute();
      const now = clock.now().toISOString();
      for (const task of open) {
        const result = run.results.find((candidate) => candidate.name === task.rule);
        if (!result || result.status === 'fail') continue;
        const state = nextRemediationState(task, 'verify');
        await trx.updateTable('quality_remediation_tasks').set({ state, verified_run: run.id, updated_at: now }).where('id', '=', task.id).execute();
        await events.append(trx, [{ type: 'quality.task_verified', actor, outcome: 'success', details: { task: task.id, dataset: task.dataset, rule: task.rule, run: run.id, from: task.state } }]);
      }
      if (autoOpen) await openTasks(trx, actor, run, undefined);
    },
  };
}

