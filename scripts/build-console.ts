/** `node --import tsx scripts/build-console.ts [--if-stale]`: builds the web console into dist/console. */
import { consoleIsStale, ensureConsoleBuilt } from '../src/node/console-build.ts';
import { rmSync } from 'node:fs';
import { consoleDir } from '../src/node/http/console.ts';

if (!process.argv.includes('--if-stale') && !consoleIsStale()) rmSync(consoleDir, { recursive: true, force: true });
const outcome = await ensureConsoleBuilt((line) => console.log(line));
console.log(`console: ${outcome}`);
