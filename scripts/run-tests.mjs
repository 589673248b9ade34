#!/usr/bin/env node
// Runs every *.test.ts under test/ with Node's own test runner (Node 20's --test takes no globs).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = find('test')
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Browser tests drive the built console; build it first when its sources changed.
if (!process.env.TEST_CONSOLE_DIR && files.some((f) => f.startsWith(join('test', 'web')))) {
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-console.ts', '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, TONGBAN_LOG_LEVEL: process.env.TONGBAN_LOG_LEVEL ?? 'silent' } },
);
process.exit(result.status ?? 1);
