/** `tongban standards …`: check values against the built-in validators, list the built-in data elements. */
import { Option, type Command } from 'commander';
import { jsonOption } from '../cli/main.ts';
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
    .description('list the built-in data elements')
    .addOption(jsonOption())
    .action((options: { json?: boolean }) => {
      output.result(options, { elements: builtInElements }, () => table(['id', '名称', 'name', 'standard'], builtInElements.map((element) => [element.id, element.nameZh, element.nameEn, element.sourceStandard])));
    });
}
