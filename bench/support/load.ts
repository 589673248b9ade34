/**
 * Load generator for the exchange benchmark, run as its own process so it does not share a CPU
 * budget with either node: `node --import tsx bench/support/load.ts '<json options>'`.
 * Prints one JSON line: throughput, latency percentiles, errors.
 */
import autocannon from 'autocannon';

interface LoadOptions {
  readonly url: string;
  readonly bodies: readonly string[];
  readonly headers?: Record<string, string>;
  readonly connections: number;
  readonly durationSeconds: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
let next = 0;
const result = await autocannon({
  url: options.url,
  method: 'POST',
  connections: options.connections,
  duration: options.durationSeconds,
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
