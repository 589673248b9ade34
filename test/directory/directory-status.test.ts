/** The status state machine of a directory copy, driven by an injected clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fixedClock } from '../../src/core/clock.ts';
import { directoryState, directoryStatus, graceEnds } from '../../src/directory/domain/directory-status.ts';

const copy = { version: 7, fetchedAt: '2026-03-02T08:00:00.000Z', expiresAt: '2026-03-02T09:00:00.000Z' };
const grace = 24 * 3600;

test('none before there is a copy, with a hint to join or to sync', () => {
  const clock = fixedClock('2026-03-02T08:00:00.000Z');
  const notJoined = directoryStatus({ copy: undefined, hub: null, joined: false, now: clock.now(), graceSeconds: grace });
  assert.equal(notJoined.state, 'none');
  assert.match(notJoined.warning!, /tongban join/);
  const joined = directoryStatus({ copy: undefined, hub: '100000', joined: true, now: clock.now(), graceSeconds: grace, lastSyncError: 'partner_unreachable: down' });
  assert.match(joined.warning!, /applied to hub 100000.*down/);
});

test('fresh until expiry, stale through the grace period, expired after it', () => {
  const clock = fixedClock(copy.fetchedAt);
  const at = () => directoryStatus({ copy, hub: '100000', joined: true, now: clock.now(), graceSeconds: grace });
  assert.deepEqual(at(), { state: 'fresh', version: 7, fetchedAt: copy.fetchedAt, expiresAt: copy.expiresAt, hub: '100000' });

  clock.set(copy.expiresAt);
  const stale = at();
  assert.equal(stale.state, 'stale');
  assert.match(stale.warning!, /expired at 2026-03-02T09:00:00.000Z .* grace period ends at 2026-03-03T09:00:00.000Z/);

  clock.set('2026-03-03T08:59:59.999Z');
  assert.equal(at().state, 'stale');
  clock.set('2026-03-03T09:00:00.000Z');
  const expired = at();
  assert.equal(expired.state, 'expired');
  assert.match(expired.warning!, /exchanges are refused/);
});

test('a fresh copy still warns when the last sync failed', () => {
  const status = directoryStatus({ copy, hub: '100000', joined: true, now: new Date(copy.fetchedAt), graceSeconds: grace, lastSyncError: 'directory_rollback: older' });
  assert.equal(status.state, 'fresh');
  assert.match(status.warning!, /directory_rollback/);
});

test('with no grace period a copy goes from fresh straight to expired', () => {
  assert.equal(directoryState(copy.expiresAt, new Date('2026-03-02T08:59:59.999Z'), 0), 'fresh');
  assert.equal(directoryState(copy.expiresAt, new Date(copy.expiresAt), 0), 'expired');
});

test('the state only ever moves forward as time passes', () => {
  const order = { none: 0, fresh: 1, stale: 2, expired: 3 } as const;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 30 * 86_400 }), fc.integer({ min: 0, max: 1e10 }), fc.integer({ min: 0, max: 1e10 }), (graceSeconds, a, b) => {
      const base = Date.parse(copy.fetchedAt);
      const [early, late] = a <= b ? [a, b] : [b, a];
      const first = directoryState(copy.expiresAt, new Date(base + early), graceSeconds);
      const second = directoryState(copy.expiresAt, new Date(base + late), graceSeconds);
      return order[first] <= order[second];
    }),
  );
  assert.equal(graceEnds(copy.expiresAt, 60), '2026-03-02T09:01:00.000Z');
});
