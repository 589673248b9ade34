/**
 * A message waiting for a partner behind a request that partner does not answer: its timeout runs
 * from when it was queued, so the caseworker hears after one timeout, not after the earlier
 * request's and then its own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { TongbanError } from '../../src/core/errors.ts';
import type { ExchangeRequest } from '../../src/exchange/requester.ts';
import { bridgeRequest, startTestFederation, type TestFederation } from '../support/federation.ts';

const timeoutMs = 2000;

describe('a partner that does not answer', () => {
  let federation: TestFederation;
  /** While set, the requester's calls to the partner's exchange endpoints never get an answer. */
  let stalled = false;
  const stallingFetch: typeof fetch = (input, init) => {
    if (!stalled || !String(input).includes('/api/v1/exchange/')) return fetch(input, init);
    return new Promise((_resolve, reject) => {
      const signal = init?.signal;
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  };

  before(async () => {
    federation = await startTestFederation({ people: 10, overrides: { 'exchange.requestTimeoutMs': timeoutMs }, requesterFetch: stallingFetch });
  });
  after(async () => {
    await federation?.close();
  });

  const request = (index: number): ExchangeRequest => bridgeRequest(federation.bridge, index);

  /** Sends a request and resolves with how long it took to fail, and how. */
  const failure = async (index: number): Promise<{ elapsedMs: number; error: TongbanError }> => {
    const started = performance.now();
    try {
      await federation.requester.running.node.exchange.request(request(index));
    } catch (error) {
      assert.ok(error instanceof TongbanError, String(error));
      return { elapsedMs: performance.now() - started, error };
    }
    assert.fail(`request ${index} was answered`);
  };

  test('a request queued behind an unanswered one fails one timeout after it was queued, and the lane recovers', async () => {
    const node = federation.requester.running.node;
    const before = (await node.events.list({ type: 'exchange.requested', limit: 1000 })).length;
    stalled = true;
    const first = failure(0);
    await sleep(timeoutMs / 2);
    // These wait for the first request, which holds the partner's lane until it times out.
    const queued = [failure(1), failure(2)];
    const [head, ...rest] = await Promise.all([first, ...queued]);
    stalled = false;
    for (const { error } of [head!, ...rest]) assert.equal(error.code, 'partner_unreachable');
    for (const { elapsedMs } of rest) {
      // Waiting out the first request's timeout and then one of its own would take 1.5 timeouts.
      assert.ok(elapsedMs < timeoutMs * 1.4, `a queued request failed after ${Math.round(elapsedMs)} ms, more than one timeout of ${timeoutMs} ms`);
    }
    const recorded = (await node.events.list({ type: 'exchange.requested', limit: 1000 })).slice(before);
    assert.equal(recorded.length, 3, 'every refusal is recorded');
    assert.ok(recorded.every((event) => event.outcome === 'failure' && event.details.code === 'partner_unreachable'));

    const answered = await node.exchange.request(request(3));
    assert.equal(answered.answer.status, 'ok');
  });
});
