/**
 * Agreement quality floors: an agreement may name, per dataset, the lowest overall quality score
 * at which the provider shares it (`service.qualityFloor`). The gateway asks this before
 * answering; a dataset below its floor, or without any score, is refused with
 * `quality_below_floor`. Pure: the latest score is passed in.
 */
import type { ErrorCode } from '../../core/errors.ts';

/** The part of an agreement the floor check reads. */
export interface FloorAgreement {
  readonly id: string;
  readonly version: number;
  readonly service?: { readonly qualityFloor?: Readonly<Record<string, number>> };
}

/** A dataset's latest quality score, as `QualityService.latestScore` answers. */
export interface LatestScore {
  readonly overall: number | null;
  readonly runId: string;
  readonly finishedAt: string;
}

/** Allowed, or refused with the clause (a JSON Pointer) and a sentence a person can act on. */
export interface FloorDecision {
  readonly allow: boolean;
  readonly code?: Extract<ErrorCode, 'quality_below_floor'>;
  readonly reason: string;
  /** `/service/qualityFloor/<dataset>` when a floor applies, else empty. */
  readonly clause: string;
  readonly floor?: number;
  readonly score?: number | null;
}

function pointerSegment(text: string): string {
  return text.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Whether the dataset's latest score meets the agreement's floor for it (no floor: always). */
export function checkQualityFloor(agreement: FloorAgreement, dataset: string, latest: LatestScore | null): FloorDecision {
  const floor = agreement.service?.qualityFloor?.[dataset];
  if (floor === undefined) return { allow: true, reason: `Agreement ${agreement.id} v${agreement.version} sets no quality floor for ${dataset}.`, clause: '' };
  const clause = `/service/qualityFloor/${pointerSegment(dataset)}`;
  const refused = (reason: string, score: number | null): FloorDecision => ({ allow: false, code: 'quality_below_floor', reason, clause, floor, score });
  if (latest === null) return refused(`Agreement ${agreement.id} v${agreement.version} requires a quality score of at least ${floor} for ${dataset}, and the dataset has not been checked yet; run \`tongban quality run ${dataset}\`.`, null);
  if (latest.overall === null) return refused(`Agreement ${agreement.id} v${agreement.version} requires a quality score of at least ${floor} for ${dataset}; its latest run (${latest.runId}) scored nothing.`, null);
  if (latest.overall < floor) {
    return refused(`Agreement ${agreement.id} v${agreement.version} requires a quality score of at least ${floor} for ${dataset}; its latest score is ${latest.overall} (run ${latest.runId}, ${latest.finishedAt}). Fix the data and re-run the check.`, latest.overall);
  }
  return { allow: true, reason: `${dataset} scores ${latest.overall}, at or above the floor of ${floor}.`, clause, floor, score: latest.overall };
}
