/** The directory's tables and queries, the same on SQLite and PostgreSQL. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUniqueViolation } from '../../src/store/dialect.ts';
import {
  decideApplication,
  findMember,
  insertApplication,
  insertMember,
  insertPublication,
  latestPublication,
  latestVersion,
  nextVersion,
  pendingApplication,
} from '../../src/directory/store/hub-store.ts';
import {
  cachedVersion,
  hasKeyUpdateFor,
  insertKeyUpdate,
  markKeyUpdate,
  markSyncFailed,
  markSyncOk,
  pendingKeyUpdates,
  readCache,
  readMembership,
  saveMembership,
  storeCache,
} from '../../src/directory/store/member-store.ts';
import type { DirectoryApplicationTable } from '../../src/directory/store/tables.ts';
import { forEachEngine } from '../support/databases.ts';

const at = '2026-03-02T08:00:00.000Z';
const jws = { payload: 'e30', protected: 'e30', signature: 'AA' };

function application(id: string, code: string): DirectoryApplicationTable {
  return {
    id,
    code,
    name: code,
    level: 'province',
    parent: null,
    endpoint: `https://${code}.example`,
    keys: '[]',
    document: '{}',
    status: 'pending',
    received_at: at,
    decided_at: null,
    decided_by: null,
    reason: null,
  };
}

forEachEngine('directory store', ({ dialect, openFresh, freshDatabase }) => {
  test('publication versions are handed out once each, even to two processes at once', async () => {
    const database = await freshDatabase();
    const first = await database.open({ poolSize: 4 });
    // A SQLite file has one writer, and two stores in one thread would block each other: there the
    // concurrent transactions share one store, as the processes of a SQLite node would share one.
    const second = dialect === 'sqlite' ? first : await database.open({ poolSize: 4 });
    const publish = (store: typeof first) =>
      store.db.transaction().execute(async (trx) => {
        const version = await nextVersion(trx);
        await insertPublication(trx, { version, document: JSON.stringify(jws), issued_at: at, expires_at: at, signed_by: '100000#s-1' });
        return version;
      });
    const versions = await Promise.all(Array.from({ length: 16 }, (_, index) => publish(index % 2 === 0 ? first : second)));
    assert.deepEqual([...versions].sort((a, b) => a - b), Array.from({ length: 16 }, (_, index) => index + 1));
    assert.equal((await latestPublication(first.db))?.version, 16);
    assert.equal(await latestVersion(second.db), 16);
  });

  test('a node has at most one pending application; decided ones do not count', async () => {
    const store = await openFresh();
    await insertApplication(store.db, application('a1', '330000'));
    await assert.rejects(insertApplication(store.db, application('a2', '330000')), (error) => isUniqueViolation(error));
    assert.equal(await decideApplication(store.db, 'a1', { status: 'rejected', by: 'staff:x', reason: 'no', at }), true);
    assert.equal(await decideApplication(store.db, 'a1', { status: 'approved', by: 'staff:x', reason: null, at }), false, 'decided once');
    await insertApplication(store.db, application('a3', '330000'));
    assert.equal((await pendingApplication(store.db, '330000', store.dialect))?.id, 'a3');
  });

  test('a member is registered once; a second insert changes nothing', async () => {
    const store = await openFresh();
    const member = { code: '330000', name: '浙江省', level: 'province', parent: null, role: 'node' as const, endpoint: 'https://zj.example', status: 'active' as const, keys: [] };
    assert.equal(await insertMember(store.db, member, at), true);
    assert.equal(await insertMember(store.db, { ...member, name: 'other' }, at), false);
    assert.equal((await findMember(store.db, '330000', store.dialect))?.name, '浙江省');
  });

  test('the cached copy only moves forward', async () => {
    const store = await openFresh();
    const copy = (version: number) => ({ version, jws, etag: `"${version}"`, issuedAt: at, expiresAt: at, fetchedAt: at });
    assert.equal(await storeCache(store.db, copy(3)), true);
    assert.equal(await storeCache(store.db, copy(2)), false);
    assert.equal(await storeCache(store.db, copy(3)), false);
    assert.equal(await storeCache(store.db, copy(5)), true);
    assert.equal(await cachedVersion(store.db), 5);
    assert.equal((await readCache(store.db))?.etag, '"5"');
  });

  test('a sync failure is reported once per outage', async () => {
    const store = await openFresh();
    await saveMembership(store.db, { hubUrl: 'https://hub.example', hubCode: '100000', hubName: 'hub', anchor: [], endpoint: 'https://zj.example', joinedAt: at });
    assert.equal(await markSyncFailed(store.db, 'partner_unreachable: down', at), true);
    assert.equal(await markSyncFailed(store.db, 'partner_unreachable: down', at), false);
    assert.equal((await readMembership(store.db))?.lastSyncError, 'partner_unreachable: down');
    await markSyncOk(store.db, at);
    assert.equal((await readMembership(store.db))?.syncFailing, false);
    assert.equal(await markSyncFailed(store.db, 'directory_rollback: old', at), true);
  });

  test('key updates wait in order until the hub accepts or refuses them', async () => {
    const store = await openFresh();
    await insertKeyUpdate(store.db, { id: 'u1', jws, keySet: 'a', createdAt: at });
    await insertKeyUpdate(store.db, { id: 'u2', jws, keySet: 'b', createdAt: '2026-03-02T08:00:01.000Z' });
    assert.deepEqual((await pendingKeyUpdates(store.db)).map((update) => update.id), ['u1', 'u2']);
    await markKeyUpdate(store.db, 'u1', { status: 'refused', error: 'key_not_valid', at });
    await markKeyUpdate(store.db, 'u2', { status: 'pending', error: 'down', at });
    const [waiting] = await pendingKeyUpdates(store.db);
    assert.equal(waiting?.attempts, 1);
    assert.equal(await hasKeyUpdateFor(store.db, 'a'), false, 'a refused update may be signed again');
    assert.equal(await hasKeyUpdateFor(store.db, 'b'), true);
  });
});
