/**
 * The exchange benchmark's baseline: the same request path with nothing of Tongban on it — a plain
 * Node HTTP forwarder in front of a plain HTTP data server that reads the same SQLite table. No
 * signatures, no policy, no records. `node --import tsx bench/support/baseline-servers.ts '<json>'`
 * starts them and prints their URLs as one JSON line. With `role: 'data'` or `role: 'forwarder'`
 * (and `dataUrl`) it starts only one, so each can run in its own process like the two nodes do;
 * the default `both` runs both in this process.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import BetterSqlite3 from 'better-sqlite3';

interface BaselineOptions {
  readonly role?: 'both' | 'data' | 'forwarder';
  readonly sqlitePath?: string;
  readonly table?: string;
  readonly keyColumn?: string;
  /** The data server the forwarder sends to, for `role: 'forwarder'`. */
  readonly dataUrl?: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as BaselineOptions;
const role = options.role ?? 'both';

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function createDataServer(): Server {
  if (!options.sqlitePath || !options.table || !options.keyColumn) throw new Error('the data server needs sqlitePath, table and keyColumn');
  const database = new BetterSqlite3(options.sqlitePath, { readonly: true });
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const statements = new Map<string, BetterSqlite3.Statement>();
  const { table, keyColumn } = options;
  return createServer(async (request, response) => {
    const { key, fields } = JSON.parse(await readBody(request)) as { key: Record<string, string>; fields: string[] };
    const sql = `select ${fields.map(quote).join(', ')} from ${quote(table)} where ${quote(keyColumn)} = ? limit 100`;
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = database.prepare(sql)));
    const records = statement.all(Object.values(key)[0]);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ records }));
  });
}

function createForwarder(target: () => URL): Server {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  return createServer(async (request, response) => {
    const body = await readBody(request);
    const url = target();
    const upstream = httpRequest(
      { host: url.hostname, port: url.port, method: 'POST', path: url.pathname, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      response.writeHead(502);
      response.end();
    });
    upstream.end(body);
  });
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/records`));
  });
}

const urls: { forwarder?: string; data?: string } = {};
if (role === 'data' || role === 'both') urls.data = await listen(createDataServer());
if (role === 'forwarder' || role === 'both') {
  const dataUrl = new URL(role === 'both' ? urls.data! : (options.dataUrl ?? ''));
  urls.forwarder = await listen(createForwarder(() => dataUrl));
}
process.stdout.write(`${JSON.stringify(urls)}\n`);
process.on('SIGTERM', () => process.exit(0));
