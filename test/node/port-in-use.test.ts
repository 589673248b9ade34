import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startTestNode } from '../support/nodes.ts';
import { TongbanError } from '../../src/core/errors.ts';

test('a port another program holds is refused with port_in_use and a hint, not an internal error', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(
      startTestNode({ overrides: { 'http.port': port } }),
      (error: unknown) => error instanceof TongbanError && error.code === 'port_in_use' && error.message.includes(`127.0.0.1:${port}`),
    );
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});
