/**
 * Runs benchmark suites: `npm run bench` runs them all, `npm run bench -- store crypto` the named ones.
 *
 * Each suite is a module under bench/ exporting `run(): Promise<void>`, imported only when chosen,
 * so one suite's dependencies (a database, say) never slow or break another. Add a suite with one
 * line in `suites`.
 */

interface BenchModule {
  run(): Promise<void>;
}

const suites: Readonly<Record<string, () => Promise<BenchModule>>> = {
  crypto: () => import('./crypto.ts'),
  store: () => import('./store.ts'),
  catalog: () => import('./catalog.ts'),
  exchange: () => import('./exchange.ts'),
  audit: () => import('./audit.ts'),
  quality: () => import('./quality.ts'),
};

/** Picks the suites the arguments name, in the order given; no arguments means every suite. */
function chooseSuites(names: readonly string[]): string[] {
  const known = Object.keys(suites);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(`unknown bench suite${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Known suites: ${known.join(', ')}.`);
  }
  return names.length > 0 ? [...new Set(names)] : known;
}

let chosen: string[];
try {
  chosen = chooseSuites(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

for (const [index, name] of chosen.entries()) {
  if (index > 0) console.log('');
  console.log(`== ${name} ==`);
  const suite = await suites[name]!();
  await suite.run();
}
