/**
 * The `tongban` command.
 */
import { Command, CommanderError, Option } from 'commander';
import { resolve } from 'node:path';
import { TongbanError, toTongbanError } from '../core/errors.ts';
import { tongbanVersion } from '../node/version.ts';
import { registerNodeCommands } from './node-commands.ts';
import { registerUserCommands } from './user-commands.ts';
import { registerDemoCommands } from './demo-commands.ts';
import { registerDirectoryCommands } from '../directory/index.ts';
import { registerCatalogCommands } from '../catalog/index.ts';
import { registerAgreementCommands } from '../agreements/index.ts';
import { registerExchangeCommands } from './exchange-commands.ts';
import { registerAuditCommands } from '../audit/cli.ts';
import { registerQualityCommands } from '../quality/index.ts';
import { registerStandardsCommands } from '../standards/index.ts';
import { createOutput, type Output } from './output.ts';

/** Options every command that works on a node accepts. */
export interface NodeDirOptions {
  readonly dir: string;
  readonly config?: string;
  readonly json?: boolean;
}

export const dirOption = (): Option =>
  new Option('-d, --dir <path>', 'the node data directory').default('./data/node');
export const configOption = (): Option => new Option('-c, --config <file>', 'a config file other than <dir>/tongban.yaml');
export const jsonOption = (): Option => new Option('--json', 'print machine-readable JSON');

/** Resolves the data directory given on the command line. */
export function dirOf(options: { dir: string }): string {
  return resolve(options.dir);
}

/** Builds the command tree; `output` receives everything printed. */
export function buildProgram(output: Output): Command {
  const program = new Command('tongban')
    .description('Tongban (通办): run a node of the cross-jurisdiction data-sharing federation')
    .version(tongbanVersion, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    // Options after a command name belong to that command (e.g. `agreement show ID --version 2`).
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (text) => output.out(text.trimEnd()),
      writeErr: (text) => output.err(text.trimEnd()),
    })
    .exitOverride();

  program
    .command('version')
    .description('print the Tongban version')
    .addOption(jsonOption())
    .action((options: { json?: boolean }) => {
      output.result(options, { version: tongbanVersion, node: process.version }, () => `tongban ${tongbanVersion} (Node.js ${process.version})`);
    });

  registerNodeCommands(program, output);
  registerUserCommands(program, output);
  registerDirectoryCommands(program, output);
  registerCatalogCommands(program, output);
  registerAgreementCommands(program, output);
  registerExchangeCommands(program, output);
  registerAuditCommands(program, output);
  registerQualityCommands(program, output);
  registerStandardsCommands(program, output);
  registerDemoCommands(program, output);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI and returns the process exit code: 0 ok, 1 refused or failed, 2 usage error. */
export async function main(argv: readonly string[], output: Output = createOutput()): Promise<number> {
  const program = buildProgram(output);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return output.failed ? 1 : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit through here with code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    const failure = toTongbanError(error);
    const json = argv.includes('--json');
    if (json) output.out(JSON.stringify({ error: failure.toBody() }));
    output.err(`error [${failure.code}]: ${failure.message}`);
    if (!(error instanceof TongbanError) && process.env.TONGBAN_DEBUG) output.err(String((error as Error).stack));
    return 1;
  }
}
