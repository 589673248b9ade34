/**
 * Builds the web console when its output is missing or older than its sources, so `npm start`
 * on a fresh checkout serves a console without a separate build step.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleDir } from './http/console.ts';

const webDir = fileURLToPath(new URL('../../web', import.meta.url));

function newestSourceTime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceTime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function consoleIsStale(): boolean {
  const index = join(consoleDir, 'index.html');
  if (!existsSync(index)) return true;
  if (!existsSync(webDir)) return false;
  return newestSourceTime(webDir) > statSync(index).mtimeMs;
}

export type ConsoleBuildOutcome = 'fresh' | 'built' | 'unavailable';

/** Builds with Vite if needed; 'unavailable' when the sources or Vite are not installed (a production install). */
export async function ensureConsoleBuilt(log: (line: string) => void = () => {}): Promise<ConsoleBuildOutcome> {
  if (!consoleIsStale()) return 'fresh';
  if (!existsSync(join(webDir, 'vite.config.ts'))) return 'unavailable';
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    return 'unavailable';
  }
  log('Building the web console (first start or sources changed)…');
  await vite.build({ configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
  return 'built';
}
