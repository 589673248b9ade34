#!/usr/bin/env -S node --max-semi-space-size=32
// The `tongban` command. TypeScript sources run through tsx so a fresh `npm install` needs no build step.
// A node serving exchanges makes many short-lived objects per request; a 32 MiB young generation
// (V8's default is 16) halves the time its collector takes (measured with `npm run bench -- exchange`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
