/** `tongban standards …`: check values against the built-in validators, list data elements, import and export elements and code lists. */
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { InputError } from '../core/errors.ts';
import { systemActor } from '../identity/index.ts';
import { configOption, dirOption, jsonOption, type NodeDirOptions } from '../cli/main.ts';
import { withNode } from '../cli/node-commands.ts';
import { table, type Output } from '../cli/output.ts';
import { builtInDivisionCodes, loadDivisionTable } from './code-tables.ts';
import { builtInElements } from './domain/elements.ts';
import { validateCitizenId, validateCreditCode, validateDate, validateDivisionCode, validateLicenseId, validateSexCode, type ValidationResult } from './domain/validators.ts';

const validators = ['citizen-id', 'credit-code', 'license-id', 'division', 'sex', 'date'] as const;

/** Registers `tongban standards`. */
export function registerStandardsCommands(program: Command, output: Output): void {
  const standards = program.command('standards').description('data standards: validators, code tables, data elements');

  standards
    .command('validate')
    .description('check values with a built-in validator (GB 11643, GB 32100, GB/T 36904, GB/T 2260, GB/T 2261.1, dates)')
    .addOption(new Option('--as <validator>', 'the validator').choices(validators).makeOptionMandatory())
    .option('--divisions <file>', 'a full GB/T 2260 code table CSV (code,name) instead of the built-in one')
    .argument('<values...>', 'values to check')
    .addOption(jsonOption())
    .action((values: string[], options: { as: (typeof validators)[number]; divisions?: string; json?: boolean }) => {
      const divisions = options.divisions ? loadDivisionTable(options.divisions).codes : builtInDivisionCodes();
      const check = (value: string): ValidationResult & { kind?: string } => {
        switch (options.as) {
          case 'citizen-id':
            return validateCitizenId(value);
          case 'credit-code':
            return validateCreditCode(value);
          case 'license-id':
            return validateLicenseId(value);
          case 'division':
            return validateDivisionCode(value, divisions);
          case 'sex':
            return validateSexCode(value);
          case 'date':
            return validateDate(value);
        }
      };
      const results = values.map((value) => ({ value, ...check(value) }));
      output.result(options, { results }, () => table(['value', 'valid', 'reason'], results.map((result) => [result.value, result.valid ? 'yes' : 'no', result.kind === 'legacy' ? 'legacy 15-digit number' : (result.reason ?? '')])));
      if (results.some((result) => !result.valid)) output.fail();
    });

  standards
    .command('elements')
    .description('list the data elements: built-in, and with --dir the ones imported into the node')
    .addOption(new Option('--dir <dir>', 'node directory (to include imported elements)'))
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: Partial<NodeDirOptions> & { json?: boolean }) => {
      const elements = options.dir ? await withNode(options as NodeDirOptions, (node) => node.standards.elements()) : [...builtInElements];
      output.result(options, { elements }, () => table(['id', 'v', '名称', 'name', 'type', 'checks', 'standard'], elements.map((element) => [element.id, String(element.version), element.nameZh, element.nameEn, element.dataType, element.validator ?? element.codeList ?? (element.allowedValues ? 'allowed values' : ''), element.sourceStandard])));
    });

  const kinds = ['elements', 'code-lists'] as const;
  const formatOf = (file: string, given: string | undefined): 'csv' | 'json' => {
    const format = given ?? extname(file).slice(1).toLowerCase();
    if (format !== 'csv' && format !== 'json') throw new InputError(`Cannot tell the format of ${file}; give --format csv or --format json.`, { file });
    return format;
  };

  standards
    .command('import')
    .description('import data elements or code lists (e.g. a full GB/T 2260 table) from CSV or JSON; --dry-run checks without storing')
    .addOption(new Option('--kind <kind>', 'what the file holds').choices(kinds).makeOptionMandatory())
    .argument('<file>', 'a .csv or .json file')
    .addOption(new Option('--format <format>', 'file format (default: by extension)').choices(['csv', 'json']))
    .addOption(new Option('--encoding <encoding>', 'text encoding of the file').choices(['utf-8', 'gbk']).default('utf-8'))
    .option('--name <name>', 'code list CSV: the list\'s name (e.g. gb-t-2260 to replace the built-in subset)')
    .option('--list-version <n>', 'code list CSV: its version (default: the next one when the codes changed)')
    .option('--source <standard>', 'code list CSV: the standard it comes from', 'user supplied')
    .option('--dry-run', 'check everything, store nothing')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (file: string, options: NodeDirOptions & { kind: (typeof kinds)[number]; format?: string; encoding: 'utf-8' | 'gbk'; name?: string; listVersion?: string; source: string; dryRun?: boolean }) => {
      const format = formatOf(file, options.format);
      const version = options.listVersion === undefined ? undefined : Number(options.listVersion);
      if (options.kind === 'code-lists' && format === 'csv' && (!options.name || (version !== undefined && (!Number.isInteger(version) || version < 1)))) {
        throw new InputError('A code list CSV needs --name; --list-version, when given, is a whole number of 1 or more.', {});
      }
      const bytes = readFileSync(file);
      const result = await withNode(options, (node) =>
        node.standards.importStandards(systemActor, {
          kind: options.kind === 'elements' ? 'elements' : 'codeLists',
          format,
          bytes,
          encoding: options.encoding,
          ...(options.name ? { codeList: { name: options.name, ...(version === undefined ? {} : { version }), sourceStandard: options.source } } : {}),
          ...(options.dryRun ? { dryRun: true } : {}),
        }),
      );
      output.result(options, result, () =>
        [`${result.dryRun ? 'Dry run, nothing stored' : 'Imported'}:`, table(['id', 'version', 'result', 'codes'], result.results.map((entry) => [entry.id, String(entry.version), entry.status, entry.codes === undefined ? '' : String(entry.codes)]))].join('\n'),
      );
    });

  standards
    .command('export')
    .description('export the current data elements or code lists as CSV or JSON')
    .addOption(new Option('--kind <kind>', 'what to export').choices(kinds).makeOptionMandatory())
    .argument('<file>', 'where to write (.csv or .json)')
    .addOption(new Option('--format <format>', 'file format (default: by extension)').choices(['csv', 'json']))
    .option('--name <name>', 'one code list (required for CSV code lists)')
    .addOption(dirOption())
    .addOption(configOption())
    .action(async (file: string, options: NodeDirOptions & { kind: (typeof kinds)[number]; format?: string; name?: string }) => {
      const format = formatOf(file, options.format);
      const text = await withNode(options, (node) => node.standards.exportStandards(options.kind === 'elements' ? 'elements' : 'codeLists', format, options.name));
      writeFileSync(file, text);
      output.err(`Wrote ${file}.`);
    });
}
