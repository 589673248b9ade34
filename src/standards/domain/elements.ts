/**
 * Built-in data elements (数据元) for the identifier standards Tongban validates exactly. A
 * dataset item maps to one by naming its identifier in `dataElement`; quality rules are then
 * generated from the element's validator or code list.
 */

/** The value types a data element may declare (the catalogue's item types). */
export const elementDataTypes = ['string', 'integer', 'number', 'boolean', 'date', 'datetime'] as const;
/** The built-in validators an element may name. */
export const elementValidators = ['citizenId', 'creditCode', 'licenseId', 'date'] as const;

/** A data element: what a field means and how its values are checked. */
export interface DataElement {
  readonly id: string;
  readonly version: number;
  readonly nameZh: string;
  readonly nameEn: string;
  readonly definition: string;
  readonly dataType: (typeof elementDataTypes)[number];
  /** A textual format (a regular expression the whole value matches), if any. */
  readonly format?: string;
  /** A built-in validator that checks every value, if any. */
  readonly validator?: (typeof elementValidators)[number];
  /** A code list the values must belong to, if any: `gb-t-2260`, `gb-t-2261.1` or an imported one. */
  readonly codeList?: string;
  /** Allowed values, when they are few and have no code list. */
  readonly allowedValues?: readonly string[];
  readonly sourceStandard: string;
}

/** The built-in data elements. */
export const builtInElements: readonly DataElement[] = Object.freeze([
  { id: 'GB11643.citizen-id', version: 1, nameZh: '公民身份号码', nameEn: 'Citizen ID number', definition: '18-character citizen identification number with MOD 11-2 check character.', dataType: 'string', validator: 'citizenId', sourceStandard: 'GB 11643-1999' },
  { id: 'GB32100.credit-code', version: 1, nameZh: '统一社会信用代码', nameEn: 'Unified social credit code', definition: '18-character code of a legal person or organisation with MOD 31 check character.', dataType: 'string', validator: 'creditCode', sourceStandard: 'GB 32100-2015' },
  { id: 'GBT2260.division', version: 1, nameZh: '行政区划代码', nameEn: 'Administrative division code', definition: 'Six-digit administrative division code.', dataType: 'string', codeList: 'gb-t-2260', sourceStandard: 'GB/T 2260' },
  { id: 'GBT2261.1.sex', version: 1, nameZh: '人的性别代码', nameEn: 'Sex code', definition: '0 unknown, 1 male, 2 female, 9 unstated.', dataType: 'string', codeList: 'gb-t-2261.1', sourceStandard: 'GB/T 2261.1-2003' },
  { id: 'GBT36904.license-id', version: 1, nameZh: '电子证照标识', nameEn: 'Electronic license identifier', definition: 'Electronic license identifier with MOD 37,36 check character.', dataType: 'string', validator: 'licenseId', sourceStandard: 'GB/T 36904-2018' },
  { id: 'ISO8601.date', version: 1, nameZh: '日期', nameEn: 'Calendar date', definition: 'A real calendar day written YYYY-MM-DD.', dataType: 'date', validator: 'date', sourceStandard: 'GB/T 7408 (ISO 8601)' },
] satisfies DataElement[]);

/** A built-in data element by identifier. */
export function builtInElement(id: string): DataElement | undefined {
  return builtInElements.find((element) => element.id === id);
}
