/**
 * The identity service: staff accounts, login with a second factor, sessions and access tokens,
 * API tokens for systems, and the checks MLPS level 3 asks of them.
 *
 * Every change commits in one transaction with the event that records it. Failed logins are
 * recorded too, and those events commit even though the call then throws.
 */
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { EventInput } from '../audit/domain/event.ts';
import type { EventLog } from '../audit/store/event-log.ts';
import type { Clock } from '../core/clock.ts';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  TongbanError,
} from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Config } from '../config/schema.ts';
import type { DialectName } from '../store/dialect.ts';
import type { Db } from '../store/open-store.ts';
import {
  assertValidUsername,
  isValidUsername,
  normaliseDisplayName,
  type SecondFactorEnrolment,
  type StaffAccount,
} from './domain/account.ts';
import { apiTokenIdOf, apiTokenSecretMatches, hashApiTokenSecret, looksLikeApiToken, newApiTokenSecret } from './domain/api-token-secret.ts';
import { createPasswordHasher } from './domain/password-hasher.ts';
import { assertPasswordPolicy } from './domain/password-policy.ts';
import { actorName, isSelf, type Actor, type Principal, type StaffPrincipal, type SystemActor } from './domain/principal.ts';
import {
  assertDutySeparation,
  assertTokenRoles,
  can,
  parseRoles,
  requiresSecondFactor,
  rolesForbiddenToTokens,
  rolesGranting,
  type Permission,
  type Role,
} from './domain/roles.ts';
import { matchTotpStep, newTotpSecret, totpSecretAad, type SecretBox } from './domain/second-factor.ts';
import { apiTokenStore, type ApiTokenRow } from './store/api-token-store.ts';
import { decodeRoles, encodeRoles, staffAccountStore, toStaffAccount, type StaffAccountRow } from './store/staff-account-store.ts';
import { staffSessionStore, type StaffSessionRow } from './store/staff-session-store.ts';
import { isUniqueViolation } from './store/unique-violation.ts';
import { createPrincipalCache } from './principal-cache.ts';

/** The audience of every staff access token. */
export const staffTokenAudience = 'tongban-staff';
/** The JWT `typ` header of staff access tokens (RFC 9068), so no other JWT passes for one. */
const accessTokenType = 'at+jwt';
/** How often, at most, `last_seen_at` / `last_used_at` are written: each request need not write. */
const touchIntervalMs = 60_000;
/** Longest bearer value looked at; anything longer is not one of ours. */
const maxBearerLength = 4096;
/** Principals are remembered this long by default (see IdentityServiceDeps.principalCacheMs). */
const defaultPrincipalCacheMs = 2000;
const minSessionSecretBytes = 32;

/** What the identity service needs. */
export interface IdentityServiceDeps {
  readonly db: Db;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly auth: Config['auth'];
  /** The node's code: the `iss` of its access tokens. */
  readonly nodeCode: string;
  /** HS256 key for access tokens, at least 32 bytes. */
  readonly sessionSecret: Uint8Array;
  /** Wraps TOTP secrets at rest. */
  readonly secretBox: SecretBox;
  /** Which database `db` is; on PostgreSQL the last-admin check locks rows. Defaults to `sqlite`. */
  readonly dialect?: DialectName;
  /**
   * How long a bearer token's principal is remembered (default 2000 ms; 0 turns the cache off).
   * Changes in this process that end or narrow access forget it at once; changes made by another
   * process of the node apply within this time.
   */
  readonly principalCacheMs?: number;
}

export interface CreateAccountInput {
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly string[];
  readonly password: string;
}

/** An account, with the second-factor enrolment when one was just issued (shown only this once). */
export interface AccountWithEnrolment {
  readonly account: StaffAccount;
  readonly secondFactor?: SecondFactorEnrolment;
}

export interface LoginInput {
  readonly username: string;
  readonly password: string;
  /** The 6-digit code from the authenticator app, when the account has one. */
  readonly totp?: string;
  /** Where the attempt came from (e.g. client address), for the audit log. */
  readonly source?: string;
}

export interface AccessToken {
  /** A JWT to send as `Authorization: Bearer …`. */
  readonly accessToken: string;
  readonly expiresAt: string;
}

export interface LoginResult extends AccessToken {
  readonly account: StaffAccount;
  readonly session: { readonly id: string; readonly expiresAt: string };
}

export interface ChangePasswordInput {
  /** Required when staff change their own password. */
  readonly current?: string;
  readonly next: string;
}

export interface CreateApiTokenInput {
  readonly name: string;
  readonly roles: readonly string[];
  /** ISO 8601; absent for a token that lasts until revoked. */
  readonly expiresAt?: string;
}

/** An API token as listed: never its secret or hash. */
export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

export interface CreatedApiToken {
  readonly token: ApiToken;
  /** `tbt_<id>_<random>`: shown once, stored only as a hash. */
  readonly secret: string;
}

export interface IdentityService {
  /** Creates a staff account; for admin and auditor also issues the TOTP secret, returned once. */
  createAccount(actor: Actor, input: CreateAccountInput): Promise<AccountWithEnrolment>;
  /** Every account, by user name. */
  listAccounts(): Promise<StaffAccount[]>;
  /** One account; `not_found` when there is none. */
  getAccount(id: string): Promise<StaffAccount>;
  /** The account with this user name, if any. */
  findByUsername(username: string): Promise<StaffAccount | undefined>;
  /** Replaces an account's roles, keeping duties separate; issues a TOTP secret if newly required. */
  setRoles(actor: Actor, id: string, roles: readonly string[]): Promise<AccountWithEnrolment>;
  /** Disables an account and revokes its sessions. */
  disableAccount(actor: Actor, id: string): Promise<StaffAccount>;
  /** Re-enables an account and clears any lockout. */
  enableAccount(actor: Actor, id: string): Promise<StaffAccount>;
  /** Issues a new TOTP secret (returned once), voiding the old one and the account's sessions. */
  resetSecondFactor(actor: Actor, id: string): Promise<SecondFactorEnrolment>;
  /** Changes a password: staff for themselves (with the current one) or an administrator for others. */
  changePassword(actor: Actor, id: string, input: ChangePasswordInput): Promise<StaffAccount>;
  /** Sets a password from the node's own command line, clearing any lockout. */
  setPassword(actor: SystemActor, id: string, password: string): Promise<StaffAccount>;
  /** Checks password and second factor, opens a session and issues an access token. */
  login(input: LoginInput): Promise<LoginResult>;
  /** Issues a fresh access token for the principal's live session. */
  refresh(principal: Principal): Promise<AccessToken>;
  /** Ends the principal's session. */
  logout(principal: Principal): Promise<void>;
  /** Turns a bearer value (access token or API token) into the principal it stands for. */
  authenticate(bearer: string): Promise<Principal>;
  /** Throws `forbidden`, naming the permission and the roles that grant it, unless the principal holds it. */
  authorize(principal: Principal, permission: Permission): void;
  /** Creates an API token for a system; the secret is returned once. */
  createApiToken(actor: Actor, input: CreateApiTokenInput): Promise<CreatedApiToken>;
  /** Every API token, oldest first. */
  listApiTokens(): Promise<ApiToken[]>;
  /** Revokes an API token; using it afterwards fails with `token_invalid`. */
  revokeApiToken(actor: Actor, id: string): Promise<ApiToken>;
}

/** Why a login failed, as recorded in `staff.login_failed` events. */
export type LoginFailureReason =
  | 'unknown_user'
  | 'account_disabled'
  | 'account_locked'
  | 'wrong_password'
  | 'second_factor_not_enrolled'
  | 'second_factor_required'
  | 'second_factor_invalid'
  | 'second_factor_replayed';

/** Creates the identity service. */
export function createIdentityService(deps: IdentityServiceDeps): IdentityService {
  const { db, events, clock, auth, nodeCode, secretBox } = deps;
  const dialect = deps.dialect ?? 'sqlite';
  if (deps.sessionSecret.length < minSessionSecretBytes) {
    throw new InputError(`The session secret must be at least ${minSessionSecretBytes} bytes.`, { path: 'sessionSecret' });
  }
  const sessionKey = Uint8Array.from(deps.sessionSecret);
  const hasher = createPasswordHasher({ costLog2: auth.passwordCostLog2 });
  const principals = createPrincipalCache({ ttlMs: deps.principalCacheMs ?? defaultPrincipalCacheMs });
  /** Runs a change to sessions, accounts or tokens, then forgets every cached principal. */
  async function changingAccess<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      principals.invalidate();
    }
  }

  const nowIso = (): string => clock.now().toISOString();
  const later = (from: Date, seconds: number): string => new Date(from.getTime() + seconds * 1000).toISOString();

  // ---- authorisation helpers ----

  function authorize(principal: Principal, permission: Permission): void {
    if (can(principal, permission)) return;
    const grantedBy = rolesGranting(permission);
    throw new NotAllowedError(`This needs the permission ${permission}, which the role(s) ${grantedBy.join(', ')} grant.`, {
      permission,
      grantedBy,
    });
  }

  /** The node itself may do anything locally; everyone else needs the permission. */
  function requirePermission(actor: Actor, permission: Permission): void {
    if (actor.kind === 'system') return;
    authorize(actor, permission);
  }

  function refuseSelf(actor: Actor, accountId: string, what: string): void {
    if (isSelf(actor, accountId)) {
      throw new NotAllowedError(`You cannot ${what} on your own account; another administrator must do it.`, { reason: 'self_change' }, 'duty_separation');
    }
  }

  async function rowOrNotFound(trx: Db, id: string): Promise<StaffAccountRow> {
    const row = await staffAccountStore.findById(trx, id);
    if (!row) throw new NotFoundError(`No staff account has the id ${id}.`, { id });
    return row;
  }

  /** Throws `last_admin` when the account is the only active administrator. */
  async function assertNotLastAdmin(trx: Db, row: StaffAccountRow): Promise<void> {
    if (row.status !== 'active' || !decodeRoles(row.roles).includes('admin')) return;
    const admins = await staffAccountStore.activeAdminIds(trx, dialect);
    if (admins.every((id) => id === row.id)) {
      throw new ConflictError(
        `${row.username} is the last active administrator; make another account an administrator first.`,
        { accountId: row.id },
        'last_admin',
      );
    }
  }

  /** A new wrapped TOTP secret for the account, and the enrolment to show once. */
  function issueSecondFactor(accountId: string, username: string): { wrapped: string; enrolment: SecondFactorEnrolment } {
    const { bytes, enrolment } = newTotpSecret({ issuer: auth.totpIssuer, username });
    const wrapped = secretBox.wrap(bytes, totpSecretAad(accountId));
    bytes.fill(0);
    return { wrapped, enrolment };
  }

  function event(type: string, actor: Actor | string | null, details: Record<string, unknown>, outcome: EventInput['outcome'] = 'success'): EventInput {
    return { type, actor: actor === null || typeof actor === 'string' ? actor : actorName(actor), outcome, details };
  }

  // ---- access tokens and sessions ----

  async function issueAccessToken(accountId: string, held: readonly Role[], session: StaffSessionRow, now: Date): Promise<AccessToken> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    // Never outlive the session: the token would be refused anyway, and saying so is more honest.
    const expires = Math.min(issuedAt + auth.accessTokenTtlSeconds, Math.floor(Date.parse(session.expires_at) / 1000));
    const accessToken = await new SignJWT({ sid: session.id, roles: [...held] })
      .setProtectedHeader({ alg: 'HS256', typ: accessTokenType })
      .setSubject(accountId)
      .setIssuer(nodeCode)
      .setAudience(staffTokenAudience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expires)
      .sign(sessionKey);
    return { accessToken, expiresAt: new Date(expires * 1000).toISOString() };
  }

  /** Throws unless the session is open: not revoked, not past its maximum, not idle too long. */
  function assertSessionLive(session: StaffSessionRow | undefined, accountId: string, now: Date): asserts session is StaffSessionRow {
    if (!session || session.account_id !== accountId || session.revoked_at !== null) {
      throw new AuthenticationError('The session has ended; log in again.', undefined, 'token_invalid');
    }
    if (now.getTime() >= Date.parse(session.expires_at)) {
      throw new AuthenticationError('The session reached its maximum length; log in again.', undefined, 'token_expired');
    }
    if (now.getTime() - Date.parse(session.last_seen_at) > auth.sessionIdleSeconds * 1000) {
      throw new AuthenticationError('The session was idle too long; log in again.', undefined, 'token_expired');
    }
  }

  async function touchSessionIfDue(session: StaffSessionRow, now: Date): Promise<void> {
    if (now.getTime() - Date.parse(session.last_seen_at) >= touchIntervalMs) {
      await staffSessionStore.touch(db, session.id, now.toISOString());
    }
  }

  async function authenticateAccessToken(bearer: string, generation: number): Promise<StaffPrincipal> {
    const now = clock.now();
    let claims: { sub?: unknown; sid?: unknown; exp?: unknown };
    try {
      const verified = await jwtVerify(bearer, sessionKey, {
        algorithms: ['HS256'],
        audience: staffTokenAudience,
        issuer: nodeCode,
        typ: accessTokenType,
        currentDate: now,
        requiredClaims: ['sub', 'sid', 'exp', 'iat'],
      });
      claims = verified.payload;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new AuthenticationError('The access token has expired; refresh it or log in again.', undefined, 'token_expired');
      }
      throw new AuthenticationError('The access token is not valid.', undefined, 'token_invalid');
    }
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string') {
      throw new AuthenticationError('The access token is not valid.', undefined, 'token_invalid');
    }
    const session = await staffSessionStore.findById(db, claims.sid);
    assertSessionLive(session, claims.sub, now);
    const account = await staffAccountStore.findById(db, claims.sub);
    if (!account || account.status !== 'active') {
      throw new AuthenticationError('The account is no longer active.', undefined, 'token_invalid');
    }
    await touchSessionIfDue(session, now);
    // Roles come from the account row, not the token, so a change applies on the next request.
    const principal: StaffPrincipal = { kind: 'staff', accountId: account.id, username: account.username, roles: decodeRoles(account.roles), sessionId: session.id };
    // Remembered until the token, the session or its idle time ends, or the next touch is due.
    const seen = now.getTime() - Date.parse(session.last_seen_at) >= touchIntervalMs ? now.getTime() : Date.parse(session.last_seen_at);
    const notAfter = Math.min(
      typeof claims.exp === 'number' ? claims.exp * 1000 : now.getTime(),
      Date.parse(session.expires_at),
      seen + auth.sessionIdleSeconds * 1000,
      seen + touchIntervalMs,
    );
    principals.set(bearer, principal, now.getTime(), notAfter, generation);
    return principal;
  }

  async function authenticateApiToken(bearer: string, generation: number): Promise<Principal> {
    const invalid = () => new AuthenticationError('The API token is not valid, has expired, or was revoked.', undefined, 'token_invalid');
    const id = apiTokenIdOf(bearer);
    if (!id) throw invalid();
    const row = await apiTokenStore.findById(db, id);
    if (!row || !apiTokenSecretMatches(bearer, row.token_hash)) throw invalid();
    const now = clock.now();
    if (row.revoked_at !== null) throw invalid();
    if (row.expires_at !== null && now.getTime() >= Date.parse(row.expires_at)) throw invalid();
    let used = row.last_used_at === null ? Number.NEGATIVE_INFINITY : Date.parse(row.last_used_at);
    if (now.getTime() - used >= touchIntervalMs) {
      await apiTokenStore.touch(db, row.id, now.toISOString());
      used = now.getTime();
    }
    // Reserved roles are refused at creation; filtering again means a hand-edited row cannot grant them.
    const held = decodeRoles(row.roles).filter((role) => !rolesForbiddenToTokens.includes(role));
    const principal: Principal = { kind: 'token', tokenId: row.id, name: row.name, roles: held };
    // Remembered until the token expires or its next use must be written down.
    const notAfter = Math.min(row.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(row.expires_at), used + touchIntervalMs);
    principals.set(bearer, principal, now.getTime(), notAfter, generation);
    return principal;
  }

  // ---- login ----

  type LoginOutcome =
    | { readonly ok: true; readonly result: LoginResult }
    | { readonly ok: false; readonly error: TongbanError };

  /** Records a failed login in its own transaction, then returns the error for the caller to throw. */
  async function failLogin(
    reason: LoginFailureReason,
    error: TongbanError,
    details: Record<string, unknown>,
    outcome: EventInput['outcome'] = 'failure',
  ): Promise<TongbanError> {
    await events.record(event('staff.login_failed', null, { reason, ...details }, outcome));
    return error;
  }

  /**
   * Counts a failure that locks after too many (wrong password, wrong or replayed code) and
   * records it, in the caller's transaction. On the locking attempt the error is `account_locked`.
   */
  async function countFailure(
    trx: Db,
    row: StaffAccountRow,
    reason: LoginFailureReason,
    error: TongbanError,
    details: Record<string, unknown>,
  ): Promise<TongbanError> {
    const now = clock.now();
    const counted = await staffAccountStore.recordFailedLogin(trx, row.id, {
      maxFailedLogins: auth.maxFailedLogins,
      lockUntil: later(now, auth.lockoutSeconds),
      now: now.toISOString(),
    });
    const locked = counted.lockedUntil !== null;
    await events.append(trx, [
      event(
        'staff.login_failed',
        null,
        { reason, ...details, failedLogins: counted.failedLogins, ...(locked ? { lockedUntil: counted.lockedUntil } : {}) },
        'failure',
      ),
    ]);
    if (!locked) return error;
    return new TongbanError(
      'account_locked',
      `Too many failed logins; the account is locked for ${auth.lockoutSeconds} seconds.`,
      { retryAfterSeconds: auth.lockoutSeconds },
    );
  }

  async function login(input: LoginInput): Promise<LoginResult> {
    const loginFailed = () => new AuthenticationError('The user name or password is wrong.', undefined, 'login_failed');
    const source = typeof input.source === 'string' && input.source.length > 0 ? { source: input.source.slice(0, 200) } : {};
    const password = typeof input.password === 'string' ? input.password : '';
    const username = typeof input.username === 'string' ? input.username.trim().toLowerCase() : '';
    const row = isValidUsername(username) ? await staffAccountStore.findByUsername(db, username) : undefined;

    if (!row) {
      // Spend what a real check costs, so response time does not reveal which names exist.
      await hasher.verifyDummy(password);
      // Only a well-formed name is recorded: a password typed into the name field must not reach the log.
      throw await failLogin('unknown_user', loginFailed(), { ...(isValidUsername(username) ? { username } : {}), ...source });
    }
    const who = { accountId: row.id, username: row.username, ...source };

    if (row.status !== 'active') {
      throw await failLogin('account_disabled', new NotAllowedError('The account has been disabled.', undefined, 'account_disabled'), who, 'denied');
    }
    const startedAt = clock.now();
    if (row.locked_until !== null && Date.parse(row.locked_until) > startedAt.getTime()) {
      const retryAfterSeconds = Math.ceil((Date.parse(row.locked_until) - startedAt.getTime()) / 1000);
      throw await failLogin(
        'account_locked',
        new TongbanError('account_locked', `Too many failed logins; try again in ${retryAfterSeconds} seconds.`, { retryAfterSeconds }),
        who,
        'denied',
      );
    }

    const held = decodeRoles(row.roles);
    const passwordOk = await hasher.verify(password, row.password_hash);
    const needsSecondFactor = requiresSecondFactor(held) || row.totp_secret !== null;
    const totp = typeof input.totp === 'string' ? input.totp.trim() : '';
    let step: number | undefined;
    if (passwordOk && needsSecondFactor && row.totp_secret !== null && totp !== '') {
      step = matchTotpStep(secretBox.unwrap(row.totp_secret, totpSecretAad(row.id)), totp, clock.now());
    }

    if (passwordOk && needsSecondFactor && row.totp_secret === null) {
      throw await failLogin(
        'second_factor_not_enrolled',
        new AuthenticationError('This account must enrol an authenticator app; ask an administrator to reset its second factor.', undefined, 'second_factor_not_enrolled'),
        who,
      );
    }
    if (passwordOk && needsSecondFactor && totp === '') {
      // The password was right, so this is a step of a login, not a failure to count.
      throw await failLogin(
        'second_factor_required',
        new AuthenticationError('Enter the one-time code from your authenticator app.', undefined, 'second_factor_required'),
        who,
      );
    }

    // Upgrade a hash made at an older cost while the password is at hand (and the login will likely succeed).
    const rehashed =
      passwordOk && (!needsSecondFactor || step !== undefined) && hasher.needsRehash(row.password_hash)
        ? await hasher.hash(password)
        : undefined;

    const outcome = await db.transaction().execute(async (trx): Promise<LoginOutcome> => {
      if (!passwordOk) return { ok: false, error: await countFailure(trx, row, 'wrong_password', loginFailed(), who) };
      const now = clock.now();
      if (needsSecondFactor) {
        const codeInvalid = () => new AuthenticationError('The one-time code is wrong or was already used.', undefined, 'second_factor_invalid');
        if (step === undefined) return { ok: false, error: await countFailure(trx, row, 'second_factor_invalid', codeInvalid(), who) };
        // The conditional update is what stops a replay, even of two logins racing with one code.
        if (!(await staffAccountStore.acceptTotpStep(trx, row.id, step))) {
          return { ok: false, error: await countFailure(trx, row, 'second_factor_replayed', codeInvalid(), who) };
        }
      }
      const nowIsoString = now.toISOString();
      await staffAccountStore.update(trx, row.id, {
        failed_logins: 0,
        locked_until: null,
        ...(rehashed ? { password_hash: rehashed } : {}),
      });
      const session: StaffSessionRow = {
        id: newId(),
        account_id: row.id,
        created_at: nowIsoString,
        last_seen_at: nowIsoString,
        expires_at: later(now, auth.sessionMaxSeconds),
        revoked_at: null,
      };
      await staffSessionStore.insert(trx, session);
      await events.append(trx, [
        event('staff.login', `staff:${row.id}`, {
          accountId: row.id,
          username: row.username,
          sessionId: session.id,
          secondFactor: needsSecondFactor,
          ...(rehashed ? { passwordRehashed: true } : {}),
          ...source,
        }),
      ]);
      const token = await issueAccessToken(row.id, held, session, now);
      const account = toStaffAccount({ ...row, failed_logins: 0, locked_until: null, totp_last_step: step ?? row.totp_last_step });
      return { ok: true, result: { ...token, account, session: { id: session.id, expiresAt: session.expires_at } } };
    });
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  // ---- password changes ----

  async function applyNewPassword(
    actor: Actor,
    id: string,
    next: string,
    options: { by: 'self' | 'administrator' | 'system'; keepSession?: string },
  ): Promise<StaffAccount> {
    const existing = await staffAccountStore.findById(db, id);
    if (!existing) throw new NotFoundError(`No staff account has the id ${id}.`, { id });
    assertPasswordPolicy(next, { username: existing.username, minLength: auth.passwordMinLength });
    const hash = await hasher.hash(next);
    return db.transaction().execute(async (trx) => {
      const row = await rowOrNotFound(trx, id);
      const now = nowIso();
      // Someone else setting the password is also how a locked-out person gets back in.
      const clearLock = options.by !== 'self' ? { failed_logins: 0, locked_until: null } : {};
      await staffAccountStore.update(trx, id, { password_hash: hash, password_changed_at: now, updated_at: now, ...clearLock });
      const sessionsRevoked = await staffSessionStore.revokeForAccount(trx, id, now, options.keepSession);
      await events.append(trx, [event('staff.password_changed', actor, { accountId: id, username: row.username, by: options.by, sessionsRevoked })]);
      const updated = await rowOrNotFound(trx, id);
      return toStaffAccount(updated);
    });
  }

  // ---- API tokens ----

  function toApiToken(row: ApiTokenRow): ApiToken {
    return {
      id: row.id,
      name: row.name,
      roles: decodeRoles(row.roles),
      createdAt: row.created_at,
      createdBy: row.created_by,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      lastUsedAt: row.last_used_at,
    };
  }

  const service: IdentityService = {
    authorize,

    async createAccount(actor, input) {
      requirePermission(actor, 'accounts.manage');
      assertValidUsername(input.username);
      const displayName = normaliseDisplayName(input.displayName);
      const held = parseRoles(input.roles);
      assertDutySeparation(held);
      assertPasswordPolicy(input.password, { username: input.username, minLength: auth.passwordMinLength });
      const taken = () => new ConflictError(`The user name ${input.username} is already taken.`, { path: 'username' });
      if (await staffAccountStore.findByUsername(db, input.username)) throw taken();
      const passwordHash = await hasher.hash(input.password);
      const id = newId();
      const secondFactor = requiresSecondFactor(held) ? issueSecondFactor(id, input.username) : undefined;
      try {
        return await db.transaction().execute(async (trx) => {
          const now = nowIso();
          const row: StaffAccountRow = {
            id,
            username: input.username,
            display_name: displayName,
            roles: encodeRoles(held),
            status: 'active',
            password_hash: passwordHash,
            password_changed_at: now,
            totp_secret: secondFactor?.wrapped ?? null,
            totp_enrolled_at: secondFactor ? now : null,
            totp_last_step: null,
            failed_logins: 0,
            locked_until: null,
            created_at: now,
            created_by: actorName(actor),
            updated_at: now,
          };
          await staffAccountStore.insert(trx, row);
          await events.append(trx, [
            event('staff.account_created', actor, { accountId: id, username: row.username, roles: held, secondFactorIssued: secondFactor !== undefined }),
          ]);
          const account = toStaffAccount(row);
          return secondFactor ? { account, secondFactor: secondFactor.enrolment } : { account };
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw taken();
        throw error;
      }
    },

    async listAccounts() {
      return (await staffAccountStore.list(db)).map(toStaffAccount);
    },

    async getAccount(id) {
      return toStaffAccount(await rowOrNotFound(db, id));
    },

    async findByUsername(username) {
      const row = await staffAccountStore.findByUsername(db, username);
      return row ? toStaffAccount(row) : undefined;
    },

    async setRoles(actor, id, requested) {
      requirePermission(actor, 'accounts.manage');
      refuseSelf(actor, id, 'change the roles');
      const held = parseRoles(requested);
      assertDutySeparation(held);
      return db.transaction().execute(async (trx) => {
        const row = await rowOrNotFound(trx, id);
        const before = decodeRoles(row.roles);
        if (before.length === held.length && before.every((role) => held.includes(role))) return { account: toStaffAccount(row) };
        if (!held.includes('admin')) await assertNotLastAdmin(trx, row);
        // Promotion to a role that needs a second factor issues one, so the account can log in.
        const secondFactor = requiresSecondFactor(held) && row.totp_secret === null ? issueSecondFactor(id, row.username) : undefined;
        const now = nowIso();
        await staffAccountStore.update(trx, id, {
          roles: encodeRoles(held),
          updated_at: now,
          ...(secondFactor ? { totp_secret: secondFactor.wrapped, totp_enrolled_at: now, totp_last_step: null } : {}),
        });
        await events.append(trx, [
          event('staff.roles_changed', actor, { accountId: id, username: row.username, from: before, to: held, secondFactorIssued: secondFactor !== undefined }),
        ]);
        const account = toStaffAccount(await rowOrNotFound(trx, id));
        return secondFactor ? { account, secondFactor: secondFactor.enrolment } : { account };
      });
    },

    async disableAccount(actor, id) {
      requirePermission(actor, 'accounts.manage');
      refuseSelf(actor, id, 'disable');
      return db.transaction().execute(async (trx) => {
        const row = await rowOrNotFound(trx, id);
        if (row.status === 'disabled') return toStaffAccount(row);
        await assertNotLastAdmin(trx, row);
        const now = nowIso();
        await staffAccountStore.update(trx, id, { status: 'disabled', updated_at: now });
        const sessionsRevoked = await staffSessionStore.revokeForAccount(trx, id, now);
        await events.append(trx, [event('staff.account_disabled', actor, { accountId: id, username: row.username, sessionsRevoked })]);
        return toStaffAccount(await rowOrNotFound(trx, id));
      });
    },

    async enableAccount(actor, id) {
      requirePermission(actor, 'accounts.manage');
      return db.transaction().execute(async (trx) => {
        const row = await rowOrNotFound(trx, id);
        if (row.status === 'active') return toStaffAccount(row);
        const now = nowIso();
        await staffAccountStore.update(trx, id, { status: 'active', failed_logins: 0, locked_until: null, updated_at: now });
        await events.append(trx, [event('staff.account_enabled', actor, { accountId: id, username: row.username })]);
        return toStaffAccount(await rowOrNotFound(trx, id));
      });
    },

    async resetSecondFactor(actor, id) {
      requirePermission(actor, 'accounts.manage');
      refuseSelf(actor, id, 'reset the second factor');
      return db.transaction().execute(async (trx) => {
        const row = await rowOrNotFound(trx, id);
        const issued = issueSecondFactor(id, row.username);
        const now = nowIso();
        await staffAccountStore.update(trx, id, { totp_secret: issued.wrapped, totp_enrolled_at: now, totp_last_step: null, updated_at: now });
        // A lost or stolen phone is the usual reason for a reset: end what it may have opened.
        const sessionsRevoked = await staffSessionStore.revokeForAccount(trx, id, now);
        await events.append(trx, [event('staff.second_factor_reset', actor, { accountId: id, username: row.username, sessionsRevoked })]);
        return issued.enrolment;
      });
    },

    async changePassword(actor, id, input) {
      if (!isSelf(actor, id)) {
        requirePermission(actor, 'accounts.manage');
        return applyNewPassword(actor, id, input.next, { by: actor.kind === 'system' ? 'system' : 'administrator' });
      }
      const row = await staffAccountStore.findById(db, id);
      if (!row) throw new NotFoundError(`No staff account has the id ${id}.`, { id });
      if (typeof input.current !== 'string' || input.current.length === 0) {
        throw new InputError('Give the current password to change your own.', { path: 'current' });
      }
      if (!(await hasher.verify(input.current, row.password_hash))) {
        // A stolen session must not become a way to guess the password without the lockout.
        const error = await db.transaction().execute((trx) =>
          countFailure(trx, row, 'wrong_password', new AuthenticationError('The current password is wrong.', { path: 'current' }, 'login_failed'), {
            accountId: row.id,
            username: row.username,
            during: 'password_change',
          }),
        );
        throw error;
      }
      return applyNewPassword(actor, id, input.next, { by: 'self', keepSession: actor.kind === 'staff' ? actor.sessionId : undefined });
    },

    async setPassword(actor, id, password) {
      if (actor.kind !== 'system') {
        throw new NotAllowedError('Only the node\'s own command line can set a password this way; use changePassword.', { reason: 'system_only' });
      }
      return applyNewPassword(actor, id, password, { by: 'system' });
    },

    login,

    async refresh(principal) {
      if (principal.kind !== 'staff') throw new InputError('API tokens have no session to refresh.', { path: 'principal' });
      const now = clock.now();
      const session = await staffSessionStore.findById(db, principal.sessionId);
      assertSessionLive(session, principal.accountId, now);
      const account = await staffAccountStore.findById(db, principal.accountId);
      if (!account || account.status !== 'active') throw new AuthenticationError('The account is no longer active.', undefined, 'token_invalid');
      await touchSessionIfDue(session, now);
      return issueAccessToken(account.id, decodeRoles(account.roles), session, now);
    },

    async logout(principal) {
      if (principal.kind !== 'staff') throw new InputError('API tokens have no session to end; revoke the token instead.', { path: 'principal' });
      await db.transaction().execute(async (trx) => {
        const revoked = await staffSessionStore.revoke(trx, principal.sessionId, nowIso());
        if (!revoked) return;
        await events.append(trx, [event('staff.logout', principal, { accountId: principal.accountId, sessionId: principal.sessionId })]);
      });
    },

    async authenticate(bearer) {
      if (typeof bearer !== 'string' || bearer.length === 0) {
        throw new AuthenticationError('Credentials are required.', undefined, 'authentication_required');
      }
      if (bearer.length > maxBearerLength) throw new AuthenticationError('The token is not valid.', undefined, 'token_invalid');
      const cached = principals.get(bearer, clock.now().getTime());
      if (cached) return cached;
      // Read before the checks: a change committed while they run makes the result uncacheable.
      const generation = principals.generation();
      return looksLikeApiToken(bearer) ? authenticateApiToken(bearer, generation) : authenticateAccessToken(bearer, generation);
    },

    async createApiToken(actor, input) {
      requirePermission(actor, 'tokens.manage');
      const name = typeof input.name === 'string' ? input.name.trim() : '';
      if (name.length < 1 || name.length > 100) throw new InputError('A token name is 1–100 characters.', { path: 'name' });
      const held = parseRoles(input.roles);
      assertTokenRoles(held);
      const now = clock.now();
      let expiresAt: string | null = null;
      if (input.expiresAt !== undefined) {
        const parsed = Date.parse(input.expiresAt);
        if (Number.isNaN(parsed)) throw new InputError('expiresAt must be an ISO 8601 date and time.', { path: 'expiresAt' });
        if (parsed <= now.getTime()) throw new InputError('expiresAt must be in the future.', { path: 'expiresAt' });
        expiresAt = new Date(parsed).toISOString();
      }
      const id = newId();
      const secret = newApiTokenSecret(id);
      const row: ApiTokenRow = {
        id,
        name,
        roles: encodeRoles(held),
        token_hash: hashApiTokenSecret(secret),
        created_by: actorName(actor),
        created_at: now.toISOString(),
        expires_at: expiresAt,
        revoked_at: null,
        last_used_at: null,
      };
      await db.transaction().execute(async (trx) => {
        await apiTokenStore.insert(trx, row);
        await events.append(trx, [event('staff.api_token_created', actor, { tokenId: id, name, roles: held, expiresAt })]);
      });
      return { token: toApiToken(row), secret };
    },

    async listApiTokens() {
      return (await apiTokenStore.list(db)).map(toApiToken);
    },

    async revokeApiToken(actor, id) {
      requirePermission(actor, 'tokens.manage');
      return db.transaction().execute(async (trx) => {
        const row = await apiTokenStore.findById(trx, id);
        if (!row) throw new NotFoundError(`No API token has the id ${id}.`, { id });
        if (row.revoked_at !== null) return toApiToken(row);
        const now = nowIso();
        await apiTokenStore.revoke(trx, id, now);
        await events.append(trx, [event('staff.api_token_revoked', actor, { tokenId: id, name: row.name })]);
        return toApiToken({ ...row, revoked_at: now });
      });
    },
  };

  // Every change that can end or narrow access forgets the cached principals once it is committed.
  return {
    ...service,
    setRoles: (actor, id, roles) => changingAccess(() => service.setRoles(actor, id, roles)),
    disableAccount: (actor, id) => changingAccess(() => service.disableAccount(actor, id)),
    enableAccount: (actor, id) => changingAccess(() => service.enableAccount(actor, id)),
    resetSecondFactor: (actor, id) => changingAccess(() => service.resetSecondFactor(actor, id)),
    changePassword: (actor, id, input) => changingAccess(() => service.changePassword(actor, id, input)),
    setPassword: (actor, id, password) => changingAccess(() => service.setPassword(actor, id, password)),
    logout: (principal) => changingAccess(() => service.logout(principal)),
    revokeApiToken: (actor, id) => changingAccess(() => service.revokeApiToken(actor, id)),
  };
}
