/**
 * HTTP routes of the agreements context: documents, lifecycle, standing approvals, explanations,
 * the published schema, and the public federation endpoints partners push signed messages to.
 */
import { Type, type Static } from 'typebox';
import { InputError } from '../../core/errors.ts';
import type { Server } from '../../node/http/build-server.ts';
import { errorResponses } from '../../node/http/schemas.ts';
import type { NodeContext } from '../../node/open-node.ts';
import type { AgreementMessageKind, AgreementService } from '../agreement-service.ts';
import { agreementIdPattern, agreementJsonSchema, datasetIdPattern, maskRules, nodeCodePattern, partyRoles } from '../domain/agreement-schema.ts';
import { agreementStates } from '../domain/lifecycle.ts';

const bearer = [{ bearer: [] }];
const StateSchema = Type.Enum(agreementStates);
const HashAlgSchema = Type.Enum(['sha256', 'sm3']);

const SummarySchema = Type.Object(
  {
    id: Type.String(),
    version: Type.Integer(),
    title: Type.String(),
    state: StateSchema,
    hashAlg: HashAlgSchema,
    hash: Type.String(),
    parties: Type.Array(Type.Object({ node: Type.String(), role: Type.Enum(partyRoles) })),
    validity: Type.Object({ from: Type.String(), to: Type.String() }),
    signedBy: Type.Array(Type.String()),
    proposedBy: Type.Union([Type.String(), Type.Null()]),
    supersededBy: Type.Union([Type.Integer(), Type.Null()]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'AgreementSummary' },
);

const ApprovalSchema = Type.Object(
  {
    id: Type.String(),
    dataset: Type.String(),
    requester: Type.String(),
    provider: Type.String(),
    items: Type.Union([Type.Array(Type.String()), Type.Null()]),
    purposes: Type.Union([Type.Array(Type.String()), Type.Null()]),
    validFrom: Type.String(),
    validTo: Type.String(),
    createdAt: Type.String(),
  },
  { $id: 'StandingApproval' },
);

const DeliveryResultSchema = Type.Object(
  {
    id: Type.String(),
    to: Type.String(),
    kind: Type.Enum(['proposal', 'signature', 'approval', 'notice']),
    status: Type.Enum(['delivered', 'pending', 'failed']),
    error: Type.Optional(Type.String()),
  },
  { $id: 'AgreementDeliveryResult' },
);

const DetailSchema = Type.Object({
  ...SummarySchema.properties,
  document: Type.Unknown({ description: 'The agreement document; see GET /api/v1/agreements/schema.json' }),
  versions: Type.Array(Type.Object({ version: Type.Integer(), state: StateSchema })),
  signatures: Type.Array(
    Type.Object({ party: Type.String(), kid: Type.String(), hashAlg: HashAlgSchema, hash: Type.String(), signedAt: Type.String(), receivedAt: Type.String() }),
  ),
  transitions: Type.Array(
    Type.Object({ from: Type.Union([StateSchema, Type.Null()]), to: StateSchema, actor: Type.String(), reason: Type.Union([Type.String(), Type.Null()]), at: Type.String() }),
  ),
  approvals: Type.Array(Type.Ref('StandingApproval')),
  deliveries: Type.Array(
    Type.Object({
      id: Type.String(),
      to: Type.String(),
      kind: Type.String(),
      status: Type.String(),
      attempts: Type.Integer(),
      nextAttemptAt: Type.String(),
      lastError: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

const ActionResultSchema = Type.Object({ agreement: Type.Ref('AgreementSummary'), deliveries: Type.Array(Type.Ref('AgreementDeliveryResult')) });

const IdParams = Type.Object({ id: Type.String({ pattern: agreementIdPattern, maxLength: 100 }) }, { additionalProperties: false });
const VersionQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });
const ActionBody = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Which version; by default the one the action applies to' })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

const ImportBody = Type.Object(
  {
    text: Type.Optional(Type.String({ maxLength: 1024 * 1024, description: 'The document as YAML or JSON text (errors then name lines)' })),
    format: Type.Optional(Type.Enum(['yaml', 'json'])),
    document: Type.Optional(Type.Unknown({ description: 'The document as a JSON value; see GET /api/v1/agreements/schema.json' })),
  },
  { additionalProperties: false },
);

const ApproveBody = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    dataset: Type.String({ pattern: datasetIdPattern }),
    requester: Type.String({ pattern: nodeCodePattern }),
    items: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 200 })),
    purposes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 200 })),
    validFrom: Type.Optional(Type.String({ description: 'ISO timestamp or date; defaults to now' })),
    validTo: Type.String({ description: 'A date (the whole day, Beijing time, is covered) or an ISO timestamp' }),
  },
  { additionalProperties: false },
);

const DecisionSchema = Type.Object({
  allow: Type.Boolean(),
  code: Type.Optional(Type.String()),
  reason: Type.String(),
  agreement: Type.Object({ id: Type.String(), version: Type.Integer() }),
  clause: Type.String({ description: 'JSON Pointer into the agreement document' }),
  fields: Type.Array(Type.String()),
  masks: Type.Record(Type.String(), Type.Enum(maskRules)),
  field: Type.Optional(Type.String()),
});

const ExplanationSchema = Type.Object({
  request: Type.Object({
    requester: Type.String(),
    provider: Type.String(),
    agreement: Type.Object({ id: Type.String(), version: Type.Integer() }),
    item: Type.String(),
    purpose: Type.String(),
    operation: Type.String(),
    dataset: Type.String(),
    fields: Type.Array(Type.String()),
    at: Type.String(),
  }),
  decision: DecisionSchema,
  sentence: Type.String(),
  clauseText: Type.Optional(Type.String()),
  datasetSource: Type.Enum(['catalog', 'agreement', 'none']),
});

const JwsBody = Type.Object(
  {
    payload: Type.String({ maxLength: 2 * 1024 * 1024 }),
    protected: Type.String({ maxLength: 4096 }),
    signature: Type.String({ maxLength: 4096 }),
  },
  { additionalProperties: false, description: 'A flattened JWS signed by the sending node' },
);

const ReceiptSchema = Type.Object({
  status: Type.Enum(['accepted', 'duplicate']),
  agreement: Type.String(),
  version: Type.Integer(),
});

/** Registers the agreements routes. */
export async function registerAgreementRoutes(app: Server, node: NodeContext): Promise<void> {
  const agreements: AgreementService = node.agreements;
  app.addSchema(SummarySchema);
  app.addSchema(ApprovalSchema);
  app.addSchema(DeliveryResultSchema);
  const published = agreementJsonSchema();

  app.get(
    '/api/v1/agreements/schema.json',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['agreements'],
        summary: 'The JSON Schema of the agreement document',
        response: { 200: Type.Unknown() },
      },
    },
    async (_request, reply) => reply.type('application/schema+json').send(JSON.stringify(published)),
  );

  app.get(
    '/api/v1/agreements',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['agreements'],
        summary: 'Every agreement version this node holds',
        security: bearer,
        response: { 200: Type.Object({ agreements: Type.Array(Type.Ref('AgreementSummary')) }), ...errorResponses(401) },
      },
    },
    async () => ({ agreements: await agreements.list() }),
  );

  app.post(
    '/api/v1/agreements',
    {
      config: { access: { permission: 'agreements.manage' } },
      schema: {
        tags: ['agreements'],
        summary: 'Import a document as a draft (a new agreement, a new version, or a replaced draft)',
        security: bearer,
        body: ImportBody,
        response: {
          201: Type.Object({ agreement: Type.Ref('AgreementSummary'), created: Type.Boolean(), renumberedFrom: Type.Optional(Type.Integer()) }),
          ...errorResponses(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const body: Static<typeof ImportBody> = request.body;
      if (body.text === undefined && body.document === undefined) {
        throw new InputError('Send the agreement as "text" (YAML or JSON) or as "document".', { path: 'body' }, 'agreement_invalid');
      }
      const input =
        body.text !== undefined
          ? { text: body.text, ...(body.format ? { format: body.format } : {}) }
          : { document: body.document };
      const result = await agreements.importDocument(request.principal!, input);
      return reply.status(201).send(result);
    },
  );

  app.post(
    '/api/v1/agreements/explain',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['agreements'],
        summary: 'Decide a hypothetical request and explain the decision with its clause',
        security: bearer,
        body: Type.Unknown({ description: 'A request: requester, provider?, agreement (id@version), item, purpose, operation, dataset, fields, at?' }),
        response: { 200: ExplanationSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const explanation = await agreements.explain(request.principal!, request.body);
      // The policy's readonly lists, copied into the plain arrays the response schema is typed with.
      return {
        ...explanation,
        request: { ...explanation.request, fields: [...explanation.request.fields] },
        decision: { ...explanation.decision, fields: [...explanation.decision.fields] },
      };
    },
  );

  app.get(
    '/api/v1/agreements/:id',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['agreements'],
        summary: 'One version with its document, signatures, history, approvals and deliveries',
        security: bearer,
        params: IdParams,
        querystring: VersionQuery,
        response: { 200: DetailSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => agreements.get(request.params.id, request.query.version),
  );

  const actions: ReadonlyArray<{
    readonly path: string;
    readonly permission: 'agreements.manage' | 'agreements.sign';
    readonly summary: string;
    readonly run: (request: { principal: NonNullable<Parameters<AgreementService['sign']>[0]>; id: string; body: Static<typeof ActionBody> }) => ReturnType<AgreementService['sign']>;
  }> = [
    {
      path: 'propose',
      permission: 'agreements.manage',
      summary: 'Propose a draft to every other party (sent signed, retried until delivered)',
      run: ({ principal, id, body }) => agreements.propose(principal, id, body.version),
    },
    {
      path: 'sign',
      permission: 'agreements.sign',
      summary: "Sign a proposed version with this node's key and send the signature to every party",
      run: ({ principal, id, body }) => agreements.sign(principal, id, body.version),
    },
    {
      path: 'activate',
      permission: 'agreements.manage',
      summary: 'Activate a version every party signed (an older active version is superseded)',
      run: ({ principal, id, body }) => agreements.activate(principal, id, body.version),
    },
    {
      path: 'suspend',
      permission: 'agreements.manage',
      summary: 'Suspend the active version: nothing is exchanged under it until it is reinstated',
      run: ({ principal, id, body }) => agreements.suspend(principal, id, body),
    },
    {
      path: 'reinstate',
      permission: 'agreements.manage',
      summary: 'Make a suspended version active again',
      run: ({ principal, id, body }) => agreements.reinstate(principal, id, body),
    },
    {
      path: 'terminate',
      permission: 'agreements.manage',
      summary: 'End a version for good',
      run: ({ principal, id, body }) => agreements.terminate(principal, id, body),
    },
  ];
  for (const action of actions) {
    app.post(
      `/api/v1/agreements/:id/${action.path}`,
      {
        config: { access: { permission: action.permission } },
        // Every member of the body is optional, so a call without a body means `{}`.
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          tags: ['agreements'],
          summary: action.summary,
          security: bearer,
          params: IdParams,
          body: ActionBody,
          response: { 200: ActionResultSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => action.run({ principal: request.principal!, id: request.params.id, body: request.body }),
    );
  }

  app.post(
    '/api/v1/agreements/:id/approvals',
    {
      config: { access: { permission: 'agreements.sign' } },
      schema: {
        tags: ['agreements'],
        summary: 'Issue a standing approval (有条件共享) for a requester on a dataset this node provides',
        security: bearer,
        params: IdParams,
        body: ApproveBody,
        response: {
          201: Type.Object({ approval: Type.Ref('StandingApproval'), deliveries: Type.Array(Type.Ref('AgreementDeliveryResult')) }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const result = await agreements.approve(request.principal!, request.params.id, request.body);
      return reply.status(201).send(result);
    },
  );

  const federation: ReadonlyArray<{ readonly path: string; readonly kind: AgreementMessageKind; readonly summary: string }> = [
    { path: 'proposals', kind: 'proposal', summary: 'Receive a proposal signed by a party (node to node)' },
    { path: 'signatures', kind: 'signature', summary: "Receive a party's signature on an agreement version (node to node)" },
    { path: 'approvals', kind: 'approval', summary: "Receive a provider's standing approval (node to node)" },
    { path: 'notices', kind: 'notice', summary: "Receive a party's notice of a state change (node to node)" },
  ];
  for (const endpoint of federation) {
    app.post(
      `/api/v1/agreements/federation/${endpoint.path}`,
      {
        // Public: the caller is another node, authenticated by its signature through the directory.
        config: { access: { auth: 'public' } },
        schema: {
          tags: ['agreements'],
          summary: endpoint.summary,
          body: JwsBody,
          response: { 200: ReceiptSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => agreements.receive(endpoint.kind, request.body),
    );
  }
}
