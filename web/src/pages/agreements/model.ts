/** Types of the agreements screens, from the API, and the agreement document as the console reads it. */
import type { paths } from '../../api/client';

export type AgreementSummary = paths['/api/v1/agreements']['get']['responses']['200']['content']['application/json']['agreements'][number];
export type AgreementDetail = paths['/api/v1/agreements/{id}']['get']['responses']['200']['content']['application/json'];
export type AgreementState = AgreementSummary['state'];
export type Explanation = paths['/api/v1/agreements/explain']['post']['responses']['200']['content']['application/json'];

/** The document's members the console shows (DESIGN §5; the schema is published at /api/v1/agreements/schema.json). */
export interface AgreementDocument {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly parties: readonly { node: string; role: 'provider' | 'requester' | 'both'; name?: string }[];
  readonly superior?: string;
  readonly template?: string;
  readonly validity: { from: string; to: string };
  readonly items: readonly { code: string; mode: 'online' | 'proxy' | 'joint'; steps: readonly { by: string; step: 'accept' | 'verify' | 'decide' | 'deliver'; limitDays: number }[] }[];
  readonly datasets: readonly DatasetClause[];
  readonly recognisedLicenses?: readonly string[];
  readonly security: { controller: Record<string, string>; retentionDays: number; breachNoticeHours: number };
  readonly service?: { availability: number; p95Ms: number; qualityFloor?: Record<string, number> };
  readonly extensions?: Record<string, unknown>;
}

export interface DatasetClause {
  readonly dataset: string;
  readonly grade: 'general' | 'important' | 'core';
  readonly sharing: 'unconditional' | 'conditional';
  readonly approval?: { by: string; deadlineWorkingDays: number };
  readonly grants: readonly Grant[];
}

export interface Grant {
  readonly to: string;
  readonly items: readonly string[];
  readonly purposes: readonly string[];
  readonly query?: readonly string[];
  readonly verify?: readonly string[];
  readonly mask?: Record<string, string>;
}

/** The stored document, when it has the shape every validated agreement has. */
export function documentOf(detail: AgreementDetail | undefined): AgreementDocument | undefined {
  const value = detail?.document;
  if (!value || typeof value !== 'object') return undefined;
  const document = value as Partial<AgreementDocument>;
  return Array.isArray(document.parties) && Array.isArray(document.items) && Array.isArray(document.datasets) && document.security ? (document as AgreementDocument) : undefined;
}

export const stateColour: Record<AgreementState, string> = {
  draft: 'default',
  proposed: 'processing',
  signed: 'cyan',
  active: 'success',
  suspended: 'warning',
  expired: 'default',
  terminated: 'error',
  superseded: 'default',
};
