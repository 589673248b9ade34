/**
 * The keep-alive fetch used for node-to-node calls behaves like fetch where callers rely on it:
 * statuses without a body, repeated headers, redirects, time-outs, network errors, and reuse of
 * one socket across calls.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createKeepAliveFetch, postJsonOf } from '../../src/exchange/keep-alive-fetch.ts';

describe('keep-alive fetch', () => {
  let server: Server;
  let base: string;
  const sockets = new Set<Socket>();
  const client = createKeepAliveFetch();

  before(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = new URL(request.url ?? '/', 'http://x');
        switch (url.pathname) {
          case '/echo':
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ method: request.method, body, contentType: request.headers['content-type'] ?? null, auth: request.headers.authorization ?? null, port: request.socket.remotePort }));
            return;
          case '/empty':
            response.writeHead(204, { 'x-note': 'nothing' });
            response.end();
            return;
          case '/not-modified':
            response.writeHead(304, { etag: '"v7"' });
            response.end();
            return;
          case '/cookies':
            response.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
            response.setHeader('vary', ['accept', 'origin']);
            response.end('ok');
            return;
          case '/see-other':
            response.writeHead(303, { location: '/echo' });
            response.end();
            return;
          case '/temporary':
            response.writeHead(307, { location: '/echo' });
            response.end();
            return;
          case '/slow':
            setTimeout(() => response.end('late'), 2000).unref();
            return;
          case '/refused':
            response.writeHead(403, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ code: 'forbidden' }));
            return;
          default:
            response.writeHead(404);
            response.end();
        }
      });
    });
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('posts a body and reads JSON; consecutive calls share one socket', async () => {
    const first = await client.fetch(`${base}/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    assert.equal(first.status, 200);
    assert.equal(first.ok, true);
    const echoed = (await first.json()) as { method: string; body: string; contentType: string; port: number };
    assert.deepEqual([echoed.method, echoed.body, echoed.contentType], ['POST', '{"a":1}', 'application/json']);
    const second = (await (await client.fetch(`${base}/echo`, { method: 'POST', body: new TextEncoder().encode('x') })).json()) as { port: number; body: string };
    assert.equal(second.body, 'x');
    assert.equal(second.port, echoed.port, 'the second call reused the kept-alive socket');
  });

  test('204 and 304 have a null body, and their headers are kept', async () => {
    const empty = await client.fetch(`${base}/empty`);
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
    assert.equal(empty.headers.get('x-note'), 'nothing');
    const notModified = await client.fetch(`${base}/not-modified`, { headers: new Headers({ 'If-None-Match': '"v7"' }) });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body, null);
    assert.equal(notModified.headers.get('etag'), '"v7"');
  });

  test('repeated response headers keep every value', async () => {
    const response = await client.fetch(`${base}/cookies`);
    assert.deepEqual(response.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
    assert.equal(response.headers.get('vary'), 'accept, origin');
    assert.equal(await response.text(), 'ok');
  });

  test('redirects are followed like fetch: 303 turns into GET, 307 keeps method and body', async () => {
    const seeOther = (await (await client.fetch(`${base}/see-other`, { method: 'POST', body: 'gone' })).json()) as { method: string; body: string };
    assert.deepEqual([seeOther.method, seeOther.body], ['GET', '']);
    const temporary = (await (await client.fetch(`${base}/temporary`, { method: 'POST', body: 'kept' })).json()) as { method: string; body: string };
    assert.deepEqual([temporary.method, temporary.body], ['POST', 'kept']);
    const manual = await client.fetch(`${base}/see-other`, { redirect: 'manual' });
    assert.equal(manual.status, 303);
  });

  test('error statuses are answers, not failures', async () => {
    const response = await client.fetch(`${base}/refused`);
    assert.equal(response.status, 403);
    assert.equal(response.ok, false);
    assert.deepEqual(await response.json(), { code: 'forbidden' });
  });

  test('a time-out rejects with the signal reason, as fetch does', async () => {
    await assert.rejects(client.fetch(`${base}/slow`, { signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' });
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    await assert.rejects(client.fetch(`${base}/echo`, { signal: aborted.signal }), { message: 'stop' });
  });

  test('a refused connection rejects with a TypeError whose cause is the socket error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(client.fetch(`http://127.0.0.1:${port}/`), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
      return true;
    });
  });

  test('a kept-alive socket the server closed is replaced without failing the call', async () => {
    await (await client.fetch(`${base}/echo`)).text();
    // The server drops every idle connection, as a node does when it shuts down.
    for (const socket of sockets) socket.destroy();
    const response = await client.fetch(`${base}/echo`, { method: 'POST', body: 'again' });
    assert.equal(((await response.json()) as { body: string }).body, 'again');
  });

  test('the lean JSON POST gives the same answer as fetch, and works over any fetch', async () => {
    const lean = postJsonOf(client.fetch);
    const viaFetch = postJsonOf(globalThis.fetch);
    assert.notEqual(lean, viaFetch);
    for (const post of [lean, viaFetch]) {
      const answer = await post(`${base}/echo`, '{"b":2}', 5000);
      assert.equal(answer.status, 200);
      const echoed = JSON.parse(answer.text) as { method: string; body: string; contentType: string };
      assert.deepEqual([echoed.method, echoed.body, echoed.contentType], ['POST', '{"b":2}', 'application/json']);
      const refused = await post(`${base}/refused`, '{}');
      assert.deepEqual([refused.status, JSON.parse(refused.text)], [403, { code: 'forbidden' }]);
    }
    for (const post of [lean, viaFetch]) await assert.rejects(post(`${base}/slow`, '{}', 100), { name: 'TimeoutError' });
  });
});
