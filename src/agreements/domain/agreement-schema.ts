/**
 * The agreement document (合作协议, DESIGN §5) as a TypeBox schema: the one definition the
 * validator, the HTTP API, the published JSON Schema (`docs/agreement.schema.json`) and the
 * TypeScript types are all derived from.
 *
 * Every object refuses unknown members, so a typo never passes silently into a signed
 * document. Later parts (templates, negotiation, per-request approvals, escalation) fit without
 * breaking: optional members (`superior`, `template`, `approval`) are already here, and
 * `extensions` holds namespaced data that older nodes keep, hash and sign without interpreting.
 */
import { Type, type Static } from 'typebox';

/** Where the published schema lives; also the `$id` of the document. */
export const agreementSchemaId = 'https://tongban.example/schemas/agreement.schema.json';

/** A GB/T 2260 division code (6 digits), or a ministry code of 2–32 letters and digits with at least one letter. */
export const nodeCodePattern = '^(?:\\d{6}|(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{2,32})$';
/** `agr-` followed by a lower-case slug. */
export const agreementIdPattern = '^agr-[a-z0-9]+(?:-[a-z0-9]+)*$';
/** `<provider node code>/<slug>`. */
export const datasetIdPattern = '^(?:\\d{6}|(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{2,32})/[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
/** An information item's name, as the catalogue spells it. */
export const fieldNamePattern = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
/** A label without leading or trailing white space (item codes, purposes, licence types). */
const labelPattern = '^\\S(?:.*\\S)?$';

/** Roles a party plays. */
export const partyRoles = ['provider', 'requester', 'both'] as const;
/** Handling modes of a service item: 全程网办, 异地代收代办, 多地联办. */
export const itemModes = ['online', 'proxy', 'joint'] as const;
/** Process steps of an item. */
export const stepKinds = ['accept', 'verify', 'decide', 'deliver'] as const;
/** Data grades of GB/T 43697-2024, lowest first. */
export const dataGrades = ['general', 'important', 'core'] as const;
/** Sharing types an agreement may cover: `none` (不予共享) data is never in an agreement. */
export const agreementSharingTypes = ['unconditional', 'conditional'] as const;
/** How a granted field is masked before it leaves the provider. */
export const maskRules = ['keep-first-char', 'keep-last-4', 'id-number', 'redact', 'year-only'] as const;

const NodeCode = Type.String({ pattern: nodeCodePattern, description: 'A node code: GB/T 2260 division code or ministry code. Quote it in YAML.' });
const DatasetId = Type.String({ pattern: datasetIdPattern, maxLength: 200, description: '`<provider node code>/<slug>`' });
const FieldName = Type.String({ pattern: fieldNamePattern, description: 'An information item (信息项) of the dataset' });
const Label = Type.String({ minLength: 1, maxLength: 100, pattern: labelPattern });
const IsoDate = Type.String({ format: 'date', description: 'A calendar date, YYYY-MM-DD (Beijing time)' });

const unique = <T extends ReturnType<typeof Type.String>>(item: T, minItems: number, description: string) =>
  Type.Array(item, { uniqueItems: true, minItems, maxItems: 500, description });

export const PartySchema = Type.Object(
  {
    node: NodeCode,
    role: Type.Enum(partyRoles, { description: 'provider: offers data; requester: asks for it; both' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The jurisdiction\'s name, for readers' })),
  },
  { additionalProperties: false },
);

export const StepSchema = Type.Object(
  {
    by: NodeCode,
    step: Type.Enum(stepKinds),
    limitDays: Type.Integer({ minimum: 0, maximum: 365, description: 'Time limit in working days' }),
  },
  { additionalProperties: false },
);

export const ItemSchema = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 100, pattern: labelPattern, description: 'The service item (事项), e.g. 就医结算备案' }),
    mode: Type.Enum(itemModes, { description: 'online 全程网办, proxy 异地代收代办, joint 多地联办' }),
    steps: Type.Array(StepSchema, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);

export const GrantSchema = Type.Object(
  {
    to: NodeCode,
    items: unique(Label, 1, 'Service items (codes from `items`) the grant serves'),
    purposes: unique(Label, 1, 'Purposes the requester may name'),
    query: Type.Optional(unique(FieldName, 0, 'Fields the requester may receive by `query`')),
    verify: Type.Optional(unique(FieldName, 0, 'Fields a yes/no `verify` question may read (query fields may be read too)')),
    mask: Type.Optional(
      Type.Record(Type.String({ pattern: fieldNamePattern }), Type.Enum(maskRules), {
        additionalProperties: false,
        description: 'Masking of granted fields before they leave the provider',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ApprovalRouteSchema = Type.Object(
  {
    by: NodeCode,
    deadlineWorkingDays: Type.Integer({ minimum: 1, maximum: 60, description: 'Reply deadline for a per-request approval' }),
  },
  { additionalProperties: false, description: 'Who approves conditional requests, and how fast' },
);

export const DatasetClauseSchema = Type.Object(
  {
    dataset: DatasetId,
    grade: Type.Enum(dataGrades, { description: 'Classification ceiling: the dataset must not be graded above this' }),
    sharing: Type.Enum(agreementSharingTypes, { description: 'unconditional 无条件共享 or conditional 有条件共享 (needs a standing approval)' }),
    approval: Type.Optional(ApprovalRouteSchema),
    grants: Type.Array(GrantSchema, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);

export const SecuritySchema = Type.Object(
  {
    controller: Type.Record(Type.String({ pattern: datasetIdPattern }), NodeCode, {
      additionalProperties: false,
      description: 'The party responsible for the security of each dataset (数据安全责任)',
    }),
    retentionDays: Type.Integer({ minimum: 1, maximum: 36_500, description: 'How long a requester may keep what it received' }),
    breachNoticeHours: Type.Integer({ minimum: 1, maximum: 720, description: 'How soon a breach must be reported to the other parties' }),
  },
  { additionalProperties: false },
);

export const ServiceLevelSchema = Type.Object(
  {
    availability: Type.Number({ minimum: 0, maximum: 1, description: 'Fraction of time the provider answers, e.g. 0.995' }),
    p95Ms: Type.Integer({ minimum: 1, maximum: 600_000, description: '95th percentile response time in milliseconds' }),
    qualityFloor: Type.Optional(
      Type.Record(Type.String({ pattern: datasetIdPattern }), Type.Number({ minimum: 0, maximum: 100 }), {
        additionalProperties: false,
        description: 'Lowest acceptable quality score per dataset',
      }),
    ),
  },
  { additionalProperties: false },
);

export const AgreementSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ maxLength: 500, description: 'A link to this schema, for editors' })),
    id: Type.String({ pattern: agreementIdPattern, maxLength: 100, description: '`agr-` and a lower-case slug; the same for every version' }),
    version: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Each new version is signed anew' }),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    parties: Type.Array(PartySchema, { minItems: 2, maxItems: 50 }),
    superior: Type.Optional(Type.String({ pattern: nodeCodePattern, description: 'The superior authority a blocked question is escalated to' })),
    template: Type.Optional(
      Type.String({ pattern: '^tpl-[a-z0-9]+(?:-[a-z0-9]+)*@[1-9][0-9]*$', description: 'The template this agreement instantiates, `tpl-…@version`' }),
    ),
    validity: Type.Object({ from: IsoDate, to: IsoDate }, { additionalProperties: false, description: 'Both days included' }),
    items: Type.Array(ItemSchema, { minItems: 1, maxItems: 200, description: 'The item list (事项清单)' }),
    datasets: Type.Array(DatasetClauseSchema, { minItems: 1, maxItems: 200, description: 'Data permissions' }),
    recognisedLicenses: Type.Optional(unique(Label, 0, 'License types the parties recognise (证照互认)')),
    security: SecuritySchema,
    service: Type.Optional(ServiceLevelSchema),
    extensions: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]*(?:\\.[a-z0-9-]+)*$' }), Type.Unknown(), {
        additionalProperties: false,
        description: 'Namespaced data for later parts (negotiation, approvals, escalation); hashed and signed, not interpreted',
      }),
    ),
  },
  {
    additionalProperties: false,
    $id: agreementSchemaId,
    title: 'Tongban agreement (合作协议)',
    description: 'A data-sharing agreement between Tongban nodes: parties, items, data permissions, security and service levels.',
  },
);

/** An agreement document that passed the schema and the cross-field rules. */
export type Agreement = Static<typeof AgreementSchema>;
export type AgreementParty = Static<typeof PartySchema>;
export type AgreementItem = Static<typeof ItemSchema>;
export type DatasetClause = Static<typeof DatasetClauseSchema>;
export type Grant = Static<typeof GrantSchema>;
export type PartyRole = (typeof partyRoles)[number];
export type DataGradeName = (typeof dataGrades)[number];

/** The published JSON Schema (draft 2020-12) of the agreement document. */
export function agreementJsonSchema(): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...(JSON.parse(JSON.stringify(AgreementSchema)) as Record<string, unknown>) };
}
