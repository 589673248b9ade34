/**
 * The exchange benchmark's baseline: the same request path with nothing of Tongban on it — a plain
 * Node HTTP forwarder in front of a plain HTTP data server that reads the same SQLite table. No
 * signatures, no policy, no records. `node --import tsx bench/support/baseline-servers.ts '<json>'`
 * starts both and prints their URLs as one JSON line.
 */
import { createServer, request as httpRequest, Agent } from 'node:http';
import BetterSqlite3 from 'better-sqlite3';

interface BaselineOptions {
  readonly sqlitePath: string;
  readonly table: string;
  readonly keyColumn: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as BaselineOptions;
const database = new BetterSqlite3(options.sqlitePath, { readonly: true });
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const statements = new Map<string, BetterSqlite3.Statement>();

function readBody(request: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const dataServer = createServer(async (request, response) => {
  const { key, fields } = JSON.parse(await readBody(request)) as { key: Record<string, string>; fields: string[] };
  const sql = `select ${fields.map(quote).join(', ')} from ${quote(options.table)} where ${quote(options.keyColumn)} = ? limit 100`;
  let statement = statements.get(sql);
  if (!statement) statements.set(sql, (statement = database.prepare(sql)));
  const records = statement.all(Object.values(key)[0]);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ records }));
});

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
let dataPort = 0;
const forwarder = createServer(async (request, response) => {
  const body = await readBody(request);
  const upstream = httpRequest(
    { host: '127.0.0.1', port: dataPort, method: 'POST', path: '/records', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
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

dataServer.listen(0, '127.0.0.1', () => {
  dataPort = (dataServer.address() as import('node:net').AddressInfo).port;
  forwarder.listen(0, '127.0.0.1', () => {
    const forwarderPort = (forwarder.address() as import('node:net').AddressInfo).port;
    process.stdout.write(`${JSON.stringify({ forwarder: `http://127.0.0.1:${forwarderPort}/records`, data: `http://127.0.0.1:${dataPort}/records` })}\n`);
  });
});
process.on('SIGTERM', () => process.exit(0));
