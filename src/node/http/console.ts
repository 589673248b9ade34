/**
 * Serves the web console (built by Vite into dist/console) from the node itself, so there is no
 * second server to run. Unknown non-API paths get index.html: the console routes on the client.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { TongbanError } from '../../core/errors.ts';
import type { Server } from './build-server.ts';

export const consoleDir = fileURLToPath(new URL('../../../dist/console', import.meta.url));

// Ant Design writes its styles at run time, hence 'unsafe-inline' for styles only; scripts stay 'self'.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

const notConsole = ['/api/', '/.well-known/', '/docs', '/openapi.json', '/healthz', '/readyz'];

export async function registerConsole(app: Server, dir: string = consoleDir): Promise<void> {
  await app.register(fastifyStatic, { root: dir, serve: false });

  app.get(
    '/*',
    { schema: { hide: true }, config: { access: { auth: 'public' } } },
    async (request, reply) => {
      const path = decodeURIComponent(request.url.split('?')[0] ?? '/');
      if (notConsole.some((prefix) => path.startsWith(prefix))) {
        throw new TongbanError('route_not_found', `No endpoint ${request.method} ${path}.`);
      }
      const index = join(dir, 'index.html');
      if (!existsSync(index)) {
        return reply
          .status(503)
          .type('text/plain; charset=utf-8')
          .send('The console has not been built. Run `npm run build` (or `npm start`, which builds it when needed).\n控制台尚未构建：请运行 npm run build。\n');
      }
      reply.header('content-security-policy', contentSecurityPolicy);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      const relative = normalize(path).replace(/^(\.\.[/\\])+/, '').replace(/^\/+/, '');
      const file = join(dir, relative);
      if (relative && extname(relative) && file.startsWith(dir) && existsSync(file) && statSync(file).isFile()) {
        // Vite names assets by content hash, so they never change under the same name.
        const immutable = relative.startsWith('assets/');
        return reply.sendFile(relative, dir, { maxAge: immutable ? '365d' : 0, immutable });
      }
      if (extname(relative) && relative !== 'index.html') {
        throw new TongbanError('route_not_found', `No file ${path} in the console.`);
      }
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html', dir, { maxAge: 0 });
    },
  );
}
