#!/usr/bin/env node
// The `tongban` command. TypeScript sources run through tsx so a fresh `npm install` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
