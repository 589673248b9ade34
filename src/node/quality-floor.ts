/**
 * Glue between agreements, quality and the gateway: the quality floor an agreement version sets
 * for a dataset, checked against the dataset's latest score before the provider answers.
 */
import type { AgreementService } from '../agreements/index.ts';
import type { QualityFloorCheck } from '../exchange/gateway.ts';
import { checkQualityFloor, type FloorAgreement, type QualityService } from '../quality/index.ts';

export function qualityFloorCheck(agreements: AgreementService, quality: QualityService): QualityFloorCheck {
  // An agreement version never changes once signed, so its floors are read once per version.
  const floors = new Map<string, FloorAgreement>();
  return async (agreement, dataset) => {
    const key = `${agreement.id}@${agreement.version}`;
    let document = floors.get(key);
    if (!document) {
      const detail = await agreements.get(agreement.id, agreement.version);
      document = { id: detail.document.id, version: detail.document.version, ...(detail.document.service ? { service: detail.document.service } : {}) };
      floors.set(key, document);
    }
    if (document.service?.qualityFloor?.[dataset] === undefined) return { allow: true, reason: '', clause: '' };
    return checkQualityFloor(document, dataset, await quality.latestScore(dataset));
  };
}
