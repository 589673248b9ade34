/**
 * Builders for identity tests: a service on a fresh store with a hand-moved clock, fast password
 * hashing, and helpers to create accounts and log in with the right one-time code.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { createEventLog, type EventLog } from '../../src/audit/store/event-log.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { TongbanError, type ErrorCode } from '../../src/core/errors.ts';
import type { Config } from '../../src/config/schema.ts';
import {
  createIdentityService,
  systemActor,
  type IdentityService,
  type LoginResult,
  type Role,
  type SecretBox,
  type StaffPrincipal,
} from '../../src/identity/index.ts';
import type { Store } from '../../src/store/open-store.ts';

export const start = '2025-03-01T08:00:00.000Z';
export const nodeCode = '330000';
/** Meets the policy: four classes, long enough. */
export const goodPassword = 'Correct-Horse-42';

export const testAuth: Config['auth'] = Object.freeze({
  accessTokenTtlSeconds: 900,
  sessionIdleSeconds: 1800,
  sessionMaxSeconds: 8 * 3600,
  maxFailedLogins: 5,
  lockoutSeconds: 900,
  passwordMinLength: 12,
  passwordCostLog2: 10,
  totpIssuer: 'Tongban Test',
});

/** AES-256-GCM under a random key: a stand-in for the node's key-wrapping secret box. */
export function testSecretBox(): SecretBox {
  const key = randomBytes(32);
  return {
    wrap(plain, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    unwrap(wrapped, aad) {
      const bytes = Buffer.from(wrapped, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12)).setAAD(Buffer.from(aad));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]));
    },
  };
}

export interface Harness {
  readonly store: Store;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly events: EventLog;
  readonly identity: IdentityService;
  readonly sessionSecret: Uint8Array;
}

/** An identity service on the given (fresh, migrated) store. */
export function harness(store: Store, auth: Partial<Config['auth']> = {}): Harness {
  const clock = fixedClock(start);
  const events = createEventLog({ db: store.db, hasher: { hash: (data) => createHash('sha256').update(data).digest() }, clock });
  const sessionSecret = randomBytes(32);
  const identity = createIdentityService({
    db: store.db,
    events,
    clock,
    auth: { ...testAuth, ...auth },
    nodeCode,
    sessionSecret,
    secretBox: testSecretBox(),
    dialect: store.dialect,
  });
  return { store, clock, events, identity, sessionSecret };
}

/** The code an authenticator app shows now for a base32 secret. */
export function codeFor(secret: string, at: Date, offsetSteps = 0): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: at.getTime() + offsetSteps * 30_000 });
}

export interface CreatedUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  /** Base32 TOTP secret, for roles that need one. */
  readonly totpSecret?: string;
}

/** Creates an account as the node itself. */
export async function addUser(h: Harness, username: string, roles: Role[], password = goodPassword): Promise<CreatedUser> {
  const created = await h.identity.createAccount(systemActor, { username, displayName: username, roles, password });
  return { id: created.account.id, username, password, totpSecret: created.secondFactor?.secret };
}

/**
 * Logs in with the current code; moves the clock to the next 30-second step first when the account
 * has a second factor, since a code is never accepted twice.
 */
export async function logIn(h: Harness, user: CreatedUser): Promise<LoginResult> {
  if (user.totpSecret) h.clock.advance(30_000);
  return h.identity.login({
    username: user.username,
    password: user.password,
    totp: user.totpSecret ? codeFor(user.totpSecret, h.clock.now()) : undefined,
  });
}

/** Logs in and authenticates the access token, giving the principal routes would see. */
export async function principalOf(h: Harness, user: CreatedUser): Promise<StaffPrincipal> {
  const { accessToken } = await logIn(h, user);
  const principal = await h.identity.authenticate(accessToken);
  assert.equal(principal.kind, 'staff');
  return principal as StaffPrincipal;
}

/** Asserts that the promise rejects with a TongbanError of this code, and returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<TongbanError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TongbanError, `expected a TongbanError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    return error;
  }
  assert.fail(`expected rejection with ${code}`);
}

/** Asserts that the function throws a TongbanError of this code, and returns the error. */
export function throwsWith(work: () => unknown, code: ErrorCode): TongbanError {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof TongbanError, `expected a TongbanError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    return error;
  }
  assert.fail(`expected a throw with ${code}`);
}

export interface StoredEvent {
  readonly seq: number;
  readonly type: string;
  readonly actor: string | null;
  readonly outcome: string;
  readonly details: Record<string, unknown>;
  readonly payload: string;
}

/** Every row of the events table, in order, with its payload parsed. */
export async function storedEvents(store: Store): Promise<StoredEvent[]> {
  const rows = await store.db.selectFrom('events').selectAll().orderBy('seq', 'asc').execute();
  return rows.map((row) => ({
    seq: Number(row.seq),
    type: row.type,
    actor: row.actor,
    outcome: row.outcome,
    details: (JSON.parse(row.payload) as { details: Record<string, unknown> }).details,
    payload: row.payload,
  }));
}

/** Asserts that none of the secrets appears anywhere in the events table. */
export async function assertNoSecretsInEvents(store: Store, secrets: readonly (string | undefined)[]): Promise<void> {
  const payloads = (await storedEvents(store)).map((event) => event.payload).join('\n');
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue;
    assert.ok(!payloads.includes(secret), `an event payload contains the secret ${secret.slice(0, 6)}…`);
  }
}

/** Every value of every row of the identity tables, as one string, to search for leaked secrets. */
export async function identityTablesText(store: Store): Promise<string> {
  const accounts = await store.db.selectFrom('staff_accounts').selectAll().execute();
  const sessions = await store.db.selectFrom('staff_sessions').selectAll().execute();
  const tokens = await store.db.selectFrom('api_tokens').selectAll().execute();
  return JSON.stringify([accounts, sessions, tokens]);
}
