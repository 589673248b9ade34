/**
 * The hub's signing key rotated by a process that stopped before it could sign the hand-over (a
 * crash, a kill): the next hub process finds the retired key in its keyring, signs the transition
 * with it, and members keep verifying the directory. Likewise a member's key update.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEventLog } from '../../src/audit/store/event-log.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { systemClock } from '../../src/core/clock.ts';
import { createHeldSigners } from '../../src/directory/held-signers.ts';
import { createKeyring } from '../../src/keys/keyring.ts';
import { leafHasherFor, openConfiguredStore } from '../../src/node/open-node.ts';
import { startNodeServer, type RunningNode } from '../../src/node/start-node-server.ts';
import type { TestNode } from '../support/nodes.ts';
import { approveOverHttp, joinOverHttp, quietFederation, startHub, startMember, syncOverHttp } from './fixture.ts';

/** Rotates a node's signing key the way a process that died right afterwards leaves it: no hand-over signed. */
async function rotateAndDie(dir: string, code: string): Promise<string> {
  const loaded = loadConfig({ dir, env: {} });
  const store = await openConfiguredStore(loaded);
  try {
    const events = createEventLog({ db: store.db, hasher: leafHasherFor('intl'), clock: systemClock });
    const keyring = createKeyring({ db: store.db, events, clock: systemClock, nodeCode: code, suite: 'intl', secret: loaded.keySecret });
    return (await keyring.rotate('system', 'sign')).kid;
  } finally {
    await store.close();
  }
}

describe('key hand-over after a rotation whose process stopped', () => {
  let hub: TestNode;
  let shanghai: TestNode;
  let restarted: RunningNode | undefined;

  before(async () => {
    [hub, shanghai] = await Promise.all([startHub(), startMember('310000', '上海市')]);
    assert.equal((await joinOverHttp(shanghai, hub.url)).status, 200);
    assert.equal((await approveOverHttp(hub, '310000')).status, 200);
    assert.deepEqual((await syncOverHttp(shanghai)).results.map((step) => step.status), ['updated']);
  });
  after(async () => {
    await restarted?.close();
    await shanghai?.close();
    await hub?.close();
  });

  test('held signers find a retired key in the keyring, not only in memory', async () => {
    const keyring = shanghai.running.node.keyring;
    const before = await keyring.signer();
    const fresh = createHeldSigners(keyring);
    assert.equal((await fresh.get(before.kid))?.kid, before.kid);
    assert.equal(await fresh.get('310000#s-nothing'), undefined);
    assert.equal(await fresh.get('330000#s-other-node'), undefined);
    const encryptKid = (await keyring.list()).find((key) => key.use === 'encrypt')!.kid;
    assert.equal(await fresh.get(encryptKid), undefined, 'only signing keys sign hand-overs');
  });

  test("the next hub process signs the transition, and members trust the hub's new key", async () => {
    const port = Number(new URL(hub.url).port);
    await hub.running.close();
    const newKid = await rotateAndDie(hub.dir, '100000');
    restarted = await startNodeServer(loadConfig({ dir: hub.dir, env: {}, overrides: { ...quietFederation, 'http.port': port } }));
    assert.equal(restarted.url, hub.url);
    const synced = await syncOverHttp(shanghai);
    assert.deepEqual(synced.results.map((step) => step.status), ['updated'], JSON.stringify(synced.results));
    const hubEntry = shanghai.running.node.directory.hub();
    assert.ok(hubEntry?.keys.some((key) => key.kid === newKid && key.validUntil === null), 'the member trusts the new hub key');
  });
});
