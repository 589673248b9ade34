/** The node keyring: generation, wrapping at rest, rotation, and verification with retired keys. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEventLog } from '../../src/audit/store/event-log.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { TongbanError } from '../../src/core/errors.ts';
import { signJws, verifyJws, type JwsVerificationKey } from '../../src/crypto/index.ts';
import { createKeyring, generateInitialKeys } from '../../src/keys/keyring.ts';
import { leafHasherFor } from '../../src/node/open-node.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open-store.ts';

const secret = 'test-key-encryption-secret-0123456789';

for (const suite of ['intl', 'sm'] as const) {
  test(`${suite}: rotated keys keep verifying what they signed; the new key signs`, async () => {
    const store = await openStore({ sqlitePath: ':memory:' });
    await migrateToLatest(store);
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const events = createEventLog({ db: store.db, hasher: leafHasherFor(suite), clock });
    const keys = await generateInitialKeys(store.db, { clock, nodeCode: '330000', suite, secret });
    assert.deepEqual(keys.map((key) => key.use).sort(), ['encrypt', 'session', 'sign']);
    const keyring = createKeyring({ db: store.db, events, clock, nodeCode: '330000', suite, secret });
    await keyring.checkSecret();

    const oldSigner = await keyring.signer();
    assert.match(oldSigner.kid, /^330000#s-[0-9a-f]{10}$/);
    const signedBefore = signJws({ hello: '通办' }, oldSigner);

    clock.advance(60_000);
    const rotated = await keyring.rotate('staff:someone', 'sign');
    const newSigner = await keyring.signer();
    assert.equal(newSigner.kid, rotated.kid);
    assert.notEqual(newSigner.kid, oldSigner.kid);
    const signedAfter = signJws({ hello: 'again' }, newSigner);

    const resolved = new Map<string, JwsVerificationKey>();
    for (const kid of [oldSigner.kid, newSigner.kid]) resolved.set(kid, (await keyring.resolve(kid))!);
    assert.deepEqual(verifyJws(signedBefore, (kid) => resolved.get(kid)).payload, { hello: '通办' });
    assert.deepEqual(verifyJws(signedAfter, (kid) => resolved.get(kid)).payload, { hello: 'again' });
    assert.equal(await keyring.resolve('310000#s-0000000000'), undefined, 'kids of other nodes are not ours');

    const listed = await keyring.list();
    assert.equal(listed.find((key) => key.kid === oldSigner.kid)?.status, 'retired');
    const [event] = await events.list({ type: 'keys.rotated' });
    assert.equal(event?.actor, 'staff:someone');
    assert.deepEqual(event?.details.retired, [oldSigner.kid]);
    await store.close();
  });
}

test('a wrong key-encryption secret is refused with key_secret_invalid', async () => {
  const store = await openStore({ sqlitePath: ':memory:' });
  await migrateToLatest(store);
  const clock = fixedClock('2026-01-01T00:00:00Z');
  await generateInitialKeys(store.db, { clock, nodeCode: '330000', suite: 'intl', secret });
  const events = createEventLog({ db: store.db, hasher: leafHasherFor('intl'), clock });
  const wrong = createKeyring({ db: store.db, events, clock, nodeCode: '330000', suite: 'intl', secret: 'a-different-secret-of-enough-length' });
  await assert.rejects(wrong.checkSecret(), (error: TongbanError) => error.code === 'key_secret_invalid');
  const missing = createKeyring({ db: store.db, events, clock, nodeCode: '330000', suite: 'intl', secret: undefined });
  await assert.rejects(missing.signer(), (error: TongbanError) => error.code === 'key_secret_invalid');
  await store.close();
});

test('wrapped private keys are not readable in the database', async () => {
  const store = await openStore({ sqlitePath: ':memory:' });
  await migrateToLatest(store);
  const clock = fixedClock('2026-01-01T00:00:00Z');
  await generateInitialKeys(store.db, { clock, nodeCode: '330000', suite: 'intl', secret });
  const events = createEventLog({ db: store.db, hasher: leafHasherFor('intl'), clock });
  const keyring = createKeyring({ db: store.db, events, clock, nodeCode: '330000', suite: 'intl', secret });
  const signer = await keyring.signer();
  const rows = await store.db.selectFrom('node_keys').select('wrapped_private').execute();
  const raw = Buffer.from(signer.privateKey);
  for (const row of rows) {
    assert.ok(!row.wrapped_private.includes(raw.toString('base64url')));
    assert.ok(!row.wrapped_private.includes(raw.toString('hex')));
  }
  await store.close();
});
