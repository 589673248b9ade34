/**
 * HTTP routes of the directory context. The directory document and the hub's anchor are public;
 * applications and key updates are public but must carry a valid signature; administration
 * needs `node.configure`; reading the member list and the status needs a login.
 */
import { Type } from 'typebox';
import { TongbanError } from '../../core/errors.ts';
import type { Server } from '../../node/http/build-server.ts';
import { errorResponses } from '../../node/http/schemas.ts';
import type { NodeContext } from '../../node/open-node.ts';

const bearer = [{ bearer: [] }];

const JwsSchema = Type.Object(
  {
    payload: Type.String({ maxLength: 16 * 1024 * 1024 }),
    protected: Type.String({ maxLength: 1024 }),
    signature: Type.String({ maxLength: 1024 }),
  },
  { additionalProperties: false, description: 'A JWS in flattened JSON serialization over RFC 8785 canonical JSON.' },
);

const KeySchema = Type.Object({
  kid: Type.String(),
  use: Type.Union([Type.Literal('sign'), Type.Literal('encrypt')]),
  suite: Type.Union([Type.Literal('intl'), Type.Literal('sm')]),
  publicKey: Type.String({ description: 'base64url of the raw public key' }),
  validFrom: Type.String(),
  validUntil: Type.Union([Type.String(), Type.Null()]),
});

const MemberSchema = Type.Object(
  {
    code: Type.String(),
    name: Type.String(),
    level: Type.String(),
    parent: Type.Union([Type.String(), Type.Null()]),
    role: Type.Union([Type.Literal('node'), Type.Literal('hub')]),
    endpoint: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]),
    keys: Type.Array(KeySchema),
    integrity: Type.Optional(
      Type.Object(
        {
          alerts: Type.Integer({ description: 'open integrity alerts' }),
          latestAt: Type.String({ description: 'when the newest open alert was detected' }),
          kinds: Type.Array(Type.String(), { description: 'fork, truncated, inconsistent, bad_signature, unknown_key, malformed, wrong_origin' }),
          witnesses: Type.Array(Type.String(), { description: 'codes of the witnesses that reported them' }),
        },
        { description: "Open integrity alerts about the member's audit log, as the signed directory publishes them; absent when none" },
      ),
    ),
    integrityAlerts: Type.Optional(Type.Integer({ description: 'open integrity alerts (integrity.alerts, or 0)' })),
  },
  { $id: 'DirectoryMember' },
);

const RegisteredMemberSchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  level: Type.String(),
  parent: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('node'), Type.Literal('hub')]),
  endpoint: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]),
  keys: Type.Array(KeySchema),
  statusReason: Type.Union([Type.String(), Type.Null()]),
  admittedAt: Type.String(),
  updatedAt: Type.String(),
  integrityAlerts: Type.Optional(Type.Integer({ description: 'open (unacknowledged) integrity alerts witnesses reported about this member' })),
});

const IntegrityAlertSchema = Type.Object({
  id: Type.String(),
  node: Type.String(),
  reportedBy: Type.String(),
  kind: Type.String(),
  message: Type.String(),
  evidence: Type.Record(Type.String(), Type.Unknown()),
  detectedAt: Type.String(),
  receivedAt: Type.String(),
  acknowledgedAt: Type.Union([Type.String(), Type.Null()]),
  acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
  acknowledgementReason: Type.Union([Type.String(), Type.Null()]),
});

const ApplicationSchema = Type.Object(
  {
    id: Type.String(),
    code: Type.String(),
    name: Type.String(),
    level: Type.String(),
    parent: Type.Union([Type.String(), Type.Null()]),
    endpoint: Type.String(),
    keys: Type.Array(KeySchema),
    status: Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')]),
    receivedAt: Type.String(),
    decidedAt: Type.Union([Type.String(), Type.Null()]),
    decidedBy: Type.Union([Type.String(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'DirectoryApplication' },
);

const StatusSchema = Type.Object(
  {
    state: Type.Union([Type.Literal('none'), Type.Literal('fresh'), Type.Literal('stale'), Type.Literal('expired')]),
    version: Type.Union([Type.Integer(), Type.Null()]),
    fetchedAt: Type.Union([Type.String(), Type.Null()]),
    expiresAt: Type.Union([Type.String(), Type.Null()]),
    hub: Type.Union([Type.String(), Type.Null()]),
    warning: Type.Optional(Type.String()),
  },
  { $id: 'DirectoryStatus' },
);

const ErrorBody = Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) });

const SyncResultSchema = Type.Object({
  status: Type.Ref('DirectoryStatus'),
  results: Type.Array(
    Type.Object({
      id: Type.String(),
      status: Type.String(),
      version: Type.Optional(Type.Integer()),
      error: Type.Optional(ErrorBody),
    }),
  ),
});

const CodeParams = Type.Object({ code: Type.String({ pattern: '^(\\d{6}|[A-Z][A-Z0-9]{1,15})$', description: 'GB/T 2260 or ministry code' }) });
const ReasonBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });

/** Whether an `If-None-Match` header names the entity tag (or `*`); weak and strong tags compare alike. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/** Registers the directory's routes, and lets the service learn its listening URL and logger. */
export async function registerDirectoryRoutes(app: Server, node: NodeContext): Promise<void> {
  const { directory } = node;
  directory.attachLogger(app.log);
  app.addSchema(MemberSchema);
  app.addSchema(ApplicationSchema);
  app.addSchema(StatusSchema);

  // Without http.publicUrl the listening URL is only known now (port 0 picks one at listen time).
  app.addHook('onListen', async () => {
    if (node.config.http.publicUrl) return;
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) return;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    await directory.setOwnEndpoint(`http://${host}:${address.port}`);
  });

  app.get(
    '/api/v1/directory',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['directory'],
        summary: 'The signed, versioned federation directory (hub: its newest publication; member: its verified copy)',
        description: 'The ETag is the quoted version; send it in If-None-Match to get 304 while nothing changed.',
        response: { 200: JwsSchema, 304: Type.Null({ description: 'Not modified' }), ...errorResponses(503) },
      },
    },
    async (request, reply) => {
      const served = await directory.servedDirectory();
      if (!served) throw new TongbanError('directory_unavailable', 'This node holds no directory yet; a member must join and sync first.');
      const etag = `"${served.version}"`;
      void reply.header('etag', etag).header('cache-control', 'no-cache');
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.status(304).send(null);
      return served.jws;
    },
  );

  app.get(
    '/api/v1/directory/anchor',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['directory'],
        summary: "The hub's anchor: its code, name and signing keys with SHA-256 fingerprints (pin one at join)",
        response: {
          200: Type.Object({
            code: Type.String(),
            name: Type.String(),
            keys: Type.Array(
              Type.Object({ kid: Type.String(), suite: Type.String(), publicKey: Type.String(), validFrom: Type.String(), fingerprint: Type.String() }),
            ),
          }),
          ...errorResponses(404),
        },
      },
    },
    async () => {
      const anchor = await directory.registry.anchor();
      return { ...anchor, keys: [...anchor.keys] };
    },
  );

  app.post(
    '/api/v1/directory/applications',
    {
      config: { access: { auth: 'public' }, rateLimit: { max: 30, timeWindow: '1 minute' } },
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['directory'],
        summary: 'Apply for membership (a JWS signed by one of the signing keys the application lists)',
        body: JwsSchema,
        response: {
          202: Type.Object({ id: Type.String(), code: Type.String(), status: Type.String(), receivedAt: Type.String() }),
          ...errorResponses(400, 401, 404, 409, 429),
        },
      },
    },
    async (request, reply) => {
      const record = await directory.registry.receiveApplication(request.body, request.ip);
      return reply.status(202).send({ id: record.id, code: record.code, status: record.status, receivedAt: record.receivedAt });
    },
  );

  app.get(
    '/api/v1/directory/applications',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['directory'],
        summary: 'Membership applications, newest first',
        security: bearer,
        querystring: Type.Object(
          { status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')])) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ applications: Type.Array(Type.Ref('DirectoryApplication')) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({ applications: await directory.registry.applications(request.query.status) }),
  );

  app.post(
    '/api/v1/directory/applications/:code/approve',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['directory'],
        summary: 'Admit the node whose application is pending, and publish the directory',
        security: bearer,
        params: CodeParams,
        response: { 200: Type.Ref('DirectoryMember'), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => directory.registry.approve(request.principal!, request.params.code),
  );

  app.post(
    '/api/v1/directory/applications/:code/reject',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['directory'],
        summary: 'Turn down a pending application, with a reason',
        security: bearer,
        params: CodeParams,
        body: ReasonBody,
        response: { 200: Type.Ref('DirectoryApplication'), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => directory.registry.reject(request.principal!, request.params.code, request.body.reason),
  );

  app.post(
    '/api/v1/directory/members/:code/suspend',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['directory'],
        summary: 'Suspend a member; every node refuses it after its next sync',
        security: bearer,
        params: CodeParams,
        body: ReasonBody,
        response: { 200: Type.Ref('DirectoryMember'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => directory.registry.suspend(request.principal!, request.params.code, request.body.reason),
  );

  app.post(
    '/api/v1/directory/members/:code/reinstate',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['directory'],
        summary: 'Lift a suspension',
        security: bearer,
        params: CodeParams,
        response: { 200: Type.Ref('DirectoryMember'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => directory.registry.reinstate(request.principal!, request.params.code),
  );

  app.post(
    '/api/v1/directory/key-updates',
    {
      config: { access: { auth: 'public' }, rateLimit: { max: 60, timeWindow: '1 minute' } },
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['directory'],
        summary: "A member's signed key update (signed by a key the hub already holds for it)",
        body: JwsSchema,
        response: { 200: Type.Ref('DirectoryMember'), ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => directory.registry.receiveKeyUpdate(request.body),
  );

  app.post(
    '/api/v1/directory/integrity-alerts',
    {
      config: { access: { auth: 'public' }, rateLimit: { max: 60, timeWindow: '1 minute' } },
      bodyLimit: 256 * 1024,
      schema: {
        tags: ['directory'],
        summary: "(hub) A witness's signed report that a member's checkpoint is inconsistent with one it holds",
        body: JwsSchema,
        response: { 200: IntegrityAlertSchema, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => directory.registry.receiveIntegrityAlert(request.body),
  );

  app.get(
    '/api/v1/directory/integrity-alerts',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['directory'],
        summary: '(hub) Integrity alerts about members, newest first; open=true keeps the unacknowledged ones',
        security: bearer,
        querystring: Type.Object({
          node: Type.Optional(Type.String({ pattern: '^(\\d{6}|[A-Z][A-Z0-9]{1,15})$' })),
          open: Type.Optional(Type.Boolean()),
        }),
        response: { 200: Type.Object({ alerts: Type.Array(IntegrityAlertSchema) }), ...errorResponses(401, 404) },
      },
    },
    async (request) => ({ alerts: await directory.registry.integrityAlerts(request.query.node, { open: request.query.open === true }) }),
  );

  app.post(
    '/api/v1/directory/integrity-alerts/:id/acknowledge',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['directory'],
        summary: '(hub) Acknowledge an integrity alert with a reason; the next directory version no longer flags it',
        security: bearer,
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: ReasonBody,
        response: { 200: Type.Object({ acknowledged: Type.Array(IntegrityAlertSchema) }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => ({
      acknowledged: await directory.registry.acknowledgeIntegrityAlerts(request.principal!, { id: request.params.id }, request.body.reason),
    }),
  );

  app.post(
    '/api/v1/directory/members/:code/integrity-alerts/acknowledge',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['directory'],
        summary: "(hub) Acknowledge every open integrity alert about a member with a reason, clearing its flag in the next directory version",
        security: bearer,
        params: CodeParams,
        body: ReasonBody,
        response: { 200: Type.Object({ acknowledged: Type.Array(IntegrityAlertSchema) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({
      acknowledged: await directory.registry.acknowledgeIntegrityAlerts(request.principal!, { node: request.params.code }, request.body.reason),
    }),
  );

  app.get(
    '/api/v1/directory/registry',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['directory'],
        summary: "(hub) The member registry with suspension reasons",
        security: bearer,
        response: { 200: Type.Object({ members: Type.Array(RegisteredMemberSchema) }), ...errorResponses(401, 403, 404) },
      },
    },
    async () => ({ members: (await directory.registry.members()).map((member) => ({ ...member, keys: [...member.keys] })) }),
  );

  app.get(
    '/api/v1/directory/members',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['directory'],
        summary: "The federation's members, from this node's verified copy of the directory",
        security: bearer,
        response: {
          200: Type.Object({ status: Type.Ref('DirectoryStatus'), members: Type.Array(Type.Ref('DirectoryMember')) }),
          ...errorResponses(401),
        },
      },
    },
    // integrityAlerts repeats integrity.alerts as a plain count (0 when none), as the registry lists it.
    async () => ({
      status: directory.status(),
      members: directory.members().map((member) => ({ ...member, integrityAlerts: member.integrity?.alerts ?? 0 })),
    }),
  );

  app.get(
    '/api/v1/directory/status',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['directory'],
        summary: "How fresh this node's copy of the directory is",
        security: bearer,
        response: { 200: Type.Ref('DirectoryStatus'), ...errorResponses(401) },
      },
    },
    async () => directory.status(),
  );

  app.post(
    '/api/v1/directory/sync',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['directory'],
        summary: 'Sync with the hub now (member), or re-publish if due (hub)',
        security: bearer,
        response: { 200: SyncResultSchema, ...errorResponses(401, 403, 503) },
      },
    },
    async (request) => {
      const result = await directory.sync(request.principal!);
      return { status: result.status, results: [...result.results] };
    },
  );

  app.post(
    '/api/v1/directory/join',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['directory'],
        summary: "Apply to a hub: pin its anchor key and send a signed application",
        security: bearer,
        body: Type.Object(
          {
            hub: Type.String({ minLength: 1, maxLength: 500 }),
            endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
            anchorFingerprint: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            parent: Type.Optional(Type.Union([Type.String({ pattern: '^(\\d{6}|[A-Z][A-Z0-9]{1,15})$' }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            hub: Type.Object({ code: Type.String(), name: Type.String(), url: Type.String() }),
            anchor: Type.Array(Type.Object({ kid: Type.String(), fingerprint: Type.String() })),
            fingerprintConfirmed: Type.Boolean(),
            endpoint: Type.String(),
            application: Type.Object({ id: Type.String(), code: Type.String(), status: Type.String(), receivedAt: Type.String() }),
            sync: SyncResultSchema.properties.results,
          }),
          ...errorResponses(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request) => {
      const { hub, endpoint, anchorFingerprint, parent } = request.body;
      const result = await directory.join(request.principal!, {
        hub,
        ...(endpoint !== undefined ? { endpoint } : {}),
        ...(anchorFingerprint !== undefined ? { anchorFingerprint } : {}),
        ...(parent !== undefined ? { parent } : {}),
      });
      return { ...result, anchor: [...result.anchor], sync: [...result.sync] };
    },
  );
}
