/** Rules generated from a dataset's key fields and the data elements its items map to. Pure. */
import { builtInElement, type DataElement } from '../../standards/index.ts';
import type { Rule } from './rules.ts';

/** What rule generation needs of a dataset. */
export interface GeneratorInput {
  readonly items: readonly { readonly name: string; readonly dataElement?: string }[];
  readonly keyFields: readonly string[];
}

/**
 * Sensible checks without writing any: key fields present and (together) unique; each item
 * mapped to a data element (built-in, or imported when `elementOf` knows it) validated by its
 * validator, code list or allowed values. An element's free format (a regex) is not generated:
 * the engines read regular expressions differently (JavaScript on SQLite, POSIX on PostgreSQL, RE2
 * in DuckDB), so a steward writes a regex rule and checks it on the engine it runs on.
 */
export function generateRules(dataset: GeneratorInput, elementOf: (id: string) => DataElement | undefined = builtInElement): Rule[] {
  const rules: Rule[] = [];
  for (const field of dataset.keyFields) rules.push({ check: 'missing', name: `${field} present`, field });
  if (dataset.keyFields.length > 0) rules.push({ check: 'unique', name: `${dataset.keyFields.join('+')} unique`, fields: [...dataset.keyFields] });
  for (const item of dataset.items) {
    const element = item.dataElement ? elementOf(item.dataElement) : undefined;
    if (!element) continue;
    if (element.validator) rules.push({ check: 'validator', name: `${item.name} is a valid ${element.nameEn}`, field: item.name, validator: element.validator });
    if (element.codeList) rules.push({ check: 'codeList', name: `${item.name} in ${element.sourceStandard}`, field: item.name, codeList: element.codeList });
    else if (element.allowedValues) rules.push({ check: 'allowedValues', name: `${item.name} is an allowed ${element.nameEn}`, field: item.name, values: [...element.allowedValues] });
  }
  return rules;
}
