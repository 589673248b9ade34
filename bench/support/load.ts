/**
 * Load generator for the exchange benchmark, run as its own process so it does not share a CPU
 * budget with either node: `node --import tsx bench/support/load.ts '<json options>'`, or
 * `... load.ts @options.json` when the options (thousands of bodies) are too long for one argument.
 * An optional warm-up runs first and is discarded. Prints `{"phase":"measure"}` when the measured
 * run starts, then one JSON line: throughput, latency percentiles, errors of the measured run.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface LoadOptions {
  readonly url: string;
  readonly bodies: readonly string[];
  readonly headers?: Record<string, string>;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds?: number;
}

const argument = process.argv[2] ?? '{}';
const options = JSON.parse(argument.startsWith('@') ? readFileSync(argument.slice(1), 'utf8') : argument) as LoadOptions;
let next = 0;

function load(durationSeconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: options.url,
    method: 'POST',
    connections: options.connections,
    duration: durationSeconds,
    headers: { 'content-type': 'application/json', ...options.headers },
    requests: [
      {
        setupRequest: (request) => {
          const body = options.bodies[next++ % options.bodies.length]!;
          return { ...request, body };
        },
      },
    ],
  });
}

if (options.warmupSeconds) await load(options.warmupSeconds);
// Tells the parent the measured run starts now (it samples the servers' CPU time from here).
process.stdout.write(`${JSON.stringify({ phase: 'measure' })}\n`);
const result = await load(options.durationSeconds);
process.stdout.write(
    `${JSON.stringify({
      requestsPerSecond: result.requests.average,
      total: result.requests.total,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
    })}\n`,
);
