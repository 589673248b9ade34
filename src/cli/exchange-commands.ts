/** `tongban exchange …`: ask a partner for data under an agreement. */
import type { Command } from 'commander';
import type { Output } from './output.ts';

export function registerExchangeCommands(_program: Command, _output: Output): void {}
