import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { verifyCheckpointNote, verifyConsistency, verifyInclusion, type NoteKey } from '../../src/audit/index.ts';
import { cryptoSuite, fromBase64Url } from '../../src/crypto/index.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';

for (const suite of ['intl', 'sm'] as const) {
  describe(`audit over HTTP (${suite})`, () => {
    let node: TestNode;
    const hasher = { hash: (data: Uint8Array) => createHash(suite === 'sm' ? 'sm3' : 'sha256').update(data).digest() };
    const b = (text: string) => Buffer.from(text, 'base64');

    before(async () => {
      node = await startTestNode({ code: `A${suite === 'sm' ? 'S' : 'I'}01`, suite });
      for (let i = 0; i < 20; i += 1) await node.running.node.events.record({ type: 'test.http', actor: 'system', outcome: 'success', details: { i } });
    });
    after(async () => node.close());

    async function publishedKeys(): Promise<NoteKey[]> {
      const keys = await node.running.node.keyring.list();
      return keys
        .filter((key) => key.use === 'sign' && key.publicKey)
        .map((key) => ({ name: node.running.node.audit.origin, suite: cryptoSuite(key.suite), publicKey: fromBase64Url(key.publicKey!, 'key') }));
    }

    test('no checkpoint yet is a clear 404; one signed on demand is served as a signed note', async () => {
      const none = await fetch(`${node.url}/.well-known/tongban/checkpoint`);
      assert.equal(none.status, 404);
      const token = await node.adminToken();
      const signed = await node.call('POST', '/api/v1/audit/checkpoints', { token });
      assert.equal(signed.status, 200, JSON.stringify(signed.body));
      const response = await fetch(`${node.url}/.well-known/tongban/checkpoint`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      const note = await response.text();
      assert.equal(note, signed.body['note']);
      const lines = note.split('\n');
      assert.equal(lines[0], node.running.node.audit.origin);
      assert.equal(lines[3], '');
      assert.match(lines[4]!, /^\u2014 tongban\.example\/\S+ [A-Za-z0-9+/=]+$/);
      const checked = verifyCheckpointNote(note, await publishedKeys());
      assert.ok(checked.ok);
      assert.equal(checked.checkpoint.size, signed.body['size']);
      const listed = await node.call('GET', '/api/v1/audit/checkpoints');
      assert.equal((listed.body['checkpoints'] as unknown[]).length, 1);
    });

    test('inclusion proofs by seq and by event id verify against the checkpoint root', async () => {
      const [event] = await node.running.node.events.list({ type: 'test.http', limit: 1, afterSeq: 3 });
      const bySeq = await node.call('GET', `/api/v1/audit/proofs/inclusion?seq=${event!.seq}`);
      assert.equal(bySeq.status, 200, JSON.stringify(bySeq.body));
      const byId = await node.call('GET', `/api/v1/audit/proofs/inclusion?event=${event!.id}`);
      assert.deepEqual(byId.body, bySeq.body);
      const answer = bySeq.body as { seq: number; size: number; leafHash: string; proof: string[]; root: string; checkpoint: string };
      const checked = verifyCheckpointNote(answer.checkpoint, await publishedKeys());
      assert.ok(checked.ok);
      assert.equal(Buffer.from(checked.checkpoint.root).toString('base64'), answer.root);
      assert.ok(verifyInclusion(hasher, answer.seq, answer.size, b(answer.leafHash), answer.proof.map(b), b(answer.root)));
      // An entry newer than the latest checkpoint gets a fresh checkpoint covering it.
      const late = await node.running.node.events.record({ type: 'test.http', actor: 'system', outcome: 'success', details: { late: true } });
      const lateProof = await node.call('GET', `/api/v1/audit/proofs/inclusion?seq=${late.seq}`);
      assert.equal(lateProof.status, 200);
      assert.ok((lateProof.body['size'] as number) > late.seq);
    });

    test('consistency proofs verify between checkpoint roots', async () => {
      const size = await node.running.node.audit.tree.size();
      const answer = (await node.call('GET', `/api/v1/audit/proofs/consistency?from=5&to=${size}`)).body as {
        fromRoot: string;
        toRoot: string;
        proof: string[];
      };
      assert.ok(verifyConsistency(hasher, 5, size, b(answer.fromRoot), b(answer.toRoot), answer.proof.map(b)));
    });

    test('malformed proof requests and entries or sizes that do not exist get clear errors', async () => {
      // Well beyond the size: each refusal below is itself logged, so the log grows as the test runs.
      const size = await node.running.node.audit.tree.size();
      const cases: Array<[string, number, string]> = [
        ['/api/v1/audit/proofs/inclusion', 400, 'invalid_input'],
        ['/api/v1/audit/proofs/inclusion?seq=abc', 400, 'invalid_input'],
        ['/api/v1/audit/proofs/inclusion?seq=-1', 400, 'invalid_input'],
        [`/api/v1/audit/proofs/inclusion?seq=${size + 1000}`, 404, 'not_found'],
        ['/api/v1/audit/proofs/inclusion?event=01234567-0000-7000-8000-000000000000', 404, 'not_found'],
        [`/api/v1/audit/proofs/inclusion?seq=1&size=${size + 1000}`, 404, 'not_found'],
        ['/api/v1/audit/proofs/inclusion?seq=5&size=5', 404, 'not_found'],
        ['/api/v1/audit/proofs/consistency?from=3', 400, 'invalid_input'],
        ['/api/v1/audit/proofs/consistency?from=9&to=4', 400, 'invalid_input'],
        [`/api/v1/audit/proofs/consistency?from=1&to=${size + 1000}`, 404, 'not_found'],
      ];
      for (const [path, status, code] of cases) {
        const response = await node.call('GET', path);
        assert.equal(response.status, status, `${path}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body['code'], code, path);
        assert.ok(String(response.body['message']).length > 10, path);
      }
    });
  });
}
