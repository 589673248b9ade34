/**
 * Hypothetical requests for `tongban agreement explain` and `POST /api/v1/agreements/explain`:
 * their shape, how they become a PolicyRequest, and how a decision is put in words with the
 * text of the clause that decided it.
 */
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { stringify } from 'yaml';
import { InputError } from '../../core/errors.ts';
import { agreementIdPattern, datasetIdPattern, fieldNamePattern, nodeCodePattern, type Agreement } from './agreement-schema.ts';
import type { PolicyDecision, PolicyRequest } from './policy.ts';
import { pointerSegments } from './source-locator.ts';
import { datasetProvider } from './validate-agreement.ts';

/** A hypothetical request, as a person writes it in a file or the console sends it. */
export const ExplainRequestSchema = Type.Object(
  {
    requester: Type.String({ pattern: nodeCodePattern, description: 'The node asking' }),
    provider: Type.Optional(Type.String({ pattern: nodeCodePattern, description: 'The node asked; defaults to the dataset\'s provider' })),
    agreement: Type.String({ pattern: `${agreementIdPattern.slice(0, -1)}@[1-9][0-9]*$`, description: '`<agreement id>@<version>`' }),
    item: Type.String({ minLength: 1, maxLength: 100 }),
    purpose: Type.String({ minLength: 1, maxLength: 100 }),
    operation: Type.Enum(['query', 'verify']),
    dataset: Type.String({ pattern: datasetIdPattern }),
    fields: Type.Array(Type.String({ pattern: fieldNamePattern }), { maxItems: 200 }),
    at: Type.Optional(Type.String({ format: 'date-time', description: 'When the request is made; defaults to now' })),
  },
  { additionalProperties: false, $id: 'AgreementExplainRequest' },
);

/** A hypothetical request as written. */
export type ExplainRequestInput = Static<typeof ExplainRequestSchema>;

const explainValidator = Compile(ExplainRequestSchema);

/** Checks a hypothetical request and turns it into the request the policy decides. */
export function readExplainRequest(value: unknown, now: Date): PolicyRequest {
  if (!explainValidator.Check(value)) {
    const first = explainValidator.Errors(value)[0];
    const path = first?.instancePath ?? '';
    const missing = first?.keyword === 'required' ? ` "${String((first.params as { requiredProperties?: string[] }).requiredProperties?.[0])}" is required` : '';
    throw new InputError(`The request is invalid at ${path || '/'}:${missing || ` ${first?.message ?? 'wrong shape'}`}.`, { path });
  }
  const input = value as ExplainRequestInput;
  const at = input.at ? new Date(input.at) : now;
  const separator = input.agreement.lastIndexOf('@');
  return {
    requester: input.requester,
    provider: input.provider ?? datasetProvider(input.dataset),
    agreement: { id: input.agreement.slice(0, separator), version: Number(input.agreement.slice(separator + 1)) },
    item: input.item,
    purpose: input.purpose,
    operation: input.operation,
    dataset: input.dataset,
    fields: input.fields,
    at,
  };
}

/** The member of the document a clause pointer names, as YAML for a reader; undefined when it names nothing. */
export function clauseText(document: Agreement, clause: string): string | undefined {
  let node: unknown = document;
  for (const segment of pointerSegments(clause)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  if (node === undefined) return undefined;
  return stringify(node, { lineWidth: 0 }).trimEnd();
}

/** One line for a person: the verdict, the clause and the reason. */
export function decisionSentence(decision: PolicyDecision): string {
  const where = `${decision.agreement.id}@${decision.agreement.version}${decision.clause ? ` ${decision.clause}` : ''}`;
  return decision.allow ? `ALLOW (${where}): ${decision.reason}` : `DENY ${decision.code ?? ''} (${where}): ${decision.reason}`;
}
