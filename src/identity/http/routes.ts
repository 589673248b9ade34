/**
 * HTTP routes of the identity context: login and sessions, staff accounts, API tokens.
 */
import { Type, type Static } from 'typebox';
import { markRecorded, TongbanError } from '../../core/errors.ts';
import type { Server } from '../../node/http/build-server.ts';
import { errorResponses, IdParams } from '../../node/http/schemas.ts';
import type { IdentityService } from '../identity-service.ts';
import { roles } from '../domain/roles.ts';

const RoleSchema = Type.Enum(roles);

const AccountSchema = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    displayName: Type.String(),
    roles: Type.Array(RoleSchema),
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
    secondFactorRequired: Type.Boolean(),
    secondFactorEnrolled: Type.Boolean(),
    failedLogins: Type.Integer(),
    lockedUntil: Type.Union([Type.String(), Type.Null()]),
    passwordChangedAt: Type.String(),
    createdAt: Type.String(),
    createdBy: Type.Union([Type.String(), Type.Null()]),
    updatedAt: Type.String(),
  },
  { $id: 'StaffAccount' },
);

const EnrolmentSchema = Type.Object({
  secret: Type.String({ description: 'TOTP secret in base32, shown once' }),
  uri: Type.String({ description: 'otpauth:// URI for a QR code, shown once' }),
});

const AccountWithEnrolmentSchema = Type.Object({
  account: Type.Ref('StaffAccount'),
  secondFactor: Type.Optional(EnrolmentSchema),
});

const ApiTokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    roles: Type.Array(RoleSchema),
    createdAt: Type.String(),
    createdBy: Type.String(),
    expiresAt: Type.Union([Type.String(), Type.Null()]),
    revokedAt: Type.Union([Type.String(), Type.Null()]),
    lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'ApiToken' },
);

const AccessTokenSchema = Type.Object({ accessToken: Type.String(), expiresAt: Type.String() });

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    totp: Type.Optional(Type.String({ pattern: '^[0-9]{6}$', description: 'the 6-digit code from the authenticator app' })),
  },
  { additionalProperties: false },
);

const CreateAccountBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 64 }),
    displayName: Type.String({ minLength: 1, maxLength: 100 }),
    roles: Type.Array(RoleSchema, { minItems: 1, maxItems: roles.length }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

const bearer = [{ bearer: [] }];

export async function registerIdentityRoutes(app: Server, identity: IdentityService): Promise<void> {
  app.addSchema(AccountSchema);
  app.addSchema(ApiTokenSchema);

  app.post(
    '/api/v1/auth/login',
    {
      config: {
        access: { auth: 'public' },
        rateLimit: { max: 20, timeWindow: '1 minute' },
      },
      schema: {
        tags: ['auth'],
        summary: 'Log in with user name, password and (for admin and auditor) a one-time code',
        body: LoginBody,
        response: {
          200: Type.Object({
            accessToken: Type.String(),
            expiresAt: Type.String(),
            account: Type.Ref('StaffAccount'),
            session: Type.Object({ id: Type.String(), expiresAt: Type.String() }),
          }),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const body: Static<typeof LoginBody> = request.body;
      try {
        return await identity.login({ ...body, source: request.ip });
      } catch (error) {
        // The identity service records every login refusal itself, with the reason.
        if (error instanceof TongbanError) markRecorded(error);
        throw error;
      }
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['auth'],
        summary: 'A fresh access token for the current session',
        security: bearer,
        response: { 200: AccessTokenSchema, ...errorResponses(401) },
      },
    },
    async (request) => identity.refresh(request.principal!),
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['auth'],
        summary: 'End the current session',
        security: bearer,
        response: { 204: Type.Null(), ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      await identity.logout(request.principal!);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['auth'],
        summary: 'Who the caller is and what they may do',
        security: bearer,
        response: {
          200: Type.Object({
            kind: Type.Union([Type.Literal('staff'), Type.Literal('token')]),
            id: Type.String(),
            name: Type.String(),
            roles: Type.Array(RoleSchema),
            account: Type.Optional(Type.Ref('StaffAccount')),
          }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => {
      const principal = request.principal!;
      if (principal.kind === 'token') {
        return { kind: 'token' as const, id: principal.tokenId, name: principal.name, roles: [...principal.roles] };
      }
      return {
        kind: 'staff' as const,
        id: principal.accountId,
        name: principal.username,
        roles: [...principal.roles],
        account: await identity.getAccount(principal.accountId),
      };
    },
  );

  app.get(
    '/api/v1/accounts',
    {
      config: { access: { permission: 'accounts.manage' } },
      schema: {
        tags: ['accounts'],
        summary: 'List staff accounts',
        security: bearer,
        response: { 200: Type.Object({ accounts: Type.Array(Type.Ref('StaffAccount')) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ accounts: await identity.listAccounts() }),
  );

  app.post(
    '/api/v1/accounts',
    {
      config: { access: { permission: 'accounts.manage' } },
      schema: {
        tags: ['accounts'],
        summary: 'Create a staff account (admin and auditor accounts get a second factor, shown once)',
        security: bearer,
        body: CreateAccountBody,
        response: { 201: AccountWithEnrolmentSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const created = await identity.createAccount(request.principal!, request.body);
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/api/v1/accounts/:id',
    {
      config: { access: { permission: 'accounts.manage' } },
      schema: {
        tags: ['accounts'],
        summary: 'One staff account',
        security: bearer,
        params: IdParams,
        response: { 200: Type.Ref('StaffAccount'), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => identity.getAccount(request.params.id),
  );

  app.put(
    '/api/v1/accounts/:id/roles',
    {
      config: { access: { permission: 'accounts.manage' } },
      schema: {
        tags: ['accounts'],
        summary: "Replace an account's roles (duty separation is enforced)",
        security: bearer,
        params: IdParams,
        body: Type.Object({ roles: Type.Array(RoleSchema, { minItems: 1, maxItems: roles.length }) }, { additionalProperties: false }),
        response: { 200: AccountWithEnrolmentSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => identity.setRoles(request.principal!, request.params.id, request.body.roles),
  );

  for (const [action, summary] of [
    ['disable', 'Disable an account and end its sessions'],
    ['enable', 'Enable a disabled account'],
  ] as const) {
    app.post(
      `/api/v1/accounts/:id/${action}`,
      {
        config: { access: { permission: 'accounts.manage' } },
        schema: {
          tags: ['accounts'],
          summary,
          security: bearer,
          params: IdParams,
          response: { 200: Type.Ref('StaffAccount'), ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request) =>
        action === 'disable'
          ? identity.disableAccount(request.principal!, request.params.id)
          : identity.enableAccount(request.principal!, request.params.id),
    );
  }

  app.post(
    '/api/v1/accounts/:id/reset-2fa',
    {
      config: { access: { permission: 'accounts.manage' } },
      schema: {
        tags: ['accounts'],
        summary: 'Issue a new authenticator secret for an account (shown once)',
        security: bearer,
        params: IdParams,
        response: { 200: EnrolmentSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => identity.resetSecondFactor(request.principal!, request.params.id),
  );

  app.post(
    '/api/v1/accounts/:id/password',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['accounts'],
        summary: 'Change a password (your own with the current one, or another account as an administrator)',
        security: bearer,
        params: IdParams,
        body: Type.Object(
          { current: Type.Optional(Type.String({ maxLength: 1024 })), next: Type.String({ minLength: 1, maxLength: 1024 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('StaffAccount'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      try {
        return await identity.changePassword(request.principal!, request.params.id, request.body);
      } catch (error) {
        // A wrong current password is recorded by the service as a failed login.
        if (error instanceof TongbanError && error.code === 'login_failed') markRecorded(error);
        throw error;
      }
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      config: { access: { permission: 'tokens.manage' } },
      schema: {
        tags: ['tokens'],
        summary: 'List API tokens (never their secrets)',
        security: bearer,
        response: { 200: Type.Object({ tokens: Type.Array(Type.Ref('ApiToken')) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ tokens: await identity.listApiTokens() }),
  );

  app.post(
    '/api/v1/tokens',
    {
      config: { access: { permission: 'tokens.manage' } },
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token for a system; the secret is shown once',
        security: bearer,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            roles: Type.Array(RoleSchema, { minItems: 1, maxItems: roles.length }),
            expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ token: Type.Ref('ApiToken'), secret: Type.String() }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => reply.status(201).send(await identity.createApiToken(request.principal!, request.body)),
  );

  app.delete(
    '/api/v1/tokens/:id',
    {
      config: { access: { permission: 'tokens.manage' } },
      schema: {
        tags: ['tokens'],
        summary: 'Revoke an API token',
        security: bearer,
        params: IdParams,
        response: { 200: Type.Ref('ApiToken'), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => identity.revokeApiToken(request.principal!, request.params.id),
  );
}
