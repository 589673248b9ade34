/**
 * Built-in algorithmic validators for the national identifier and code standards, exactly as
 * ../shared/data/STANDARDS.md §1 states them. Pure functions: no I/O. Their SQL twins live in
 * sql-validators.ts and must give the same answer for every string (property-tested).
 */

/** Why a value failed, as a stable machine-readable reason. */
export type InvalidReason = 'format' | 'date' | 'check' | 'division' | 'code' | 'range' | 'length';

/** The outcome of one validation. */
export interface ValidationResult {
  readonly valid: boolean;
  /** Present when `valid` is false. */
  readonly reason?: InvalidReason;
}

const ok: ValidationResult = Object.freeze({ valid: true });
function fail(reason: InvalidReason): ValidationResult {
  return { valid: false, reason };
}

// ---------------------------------------------------------------------------------------------
// Calendar dates

/** Whether a year is a leap year in the proleptic Gregorian calendar. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in a month (1–12) of a year. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Whether eight digits `YYYYMMDD` name a real calendar day (any four-digit year, months 1–12). */
export function isRealCompactDate(text: string): boolean {
  if (!/^[0-9]{8}$/.test(text)) return false;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(4, 6));
  const day = Number(text.slice(6, 8));
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Validates an ISO 8601 calendar date `YYYY-MM-DD` that names a real day. */
export function validateDate(value: string): ValidationResult {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value)) return fail('format');
  return isRealCompactDate(value.replace(/-/g, '')) ? ok : fail('date');
}

/** Inclusive bounds for a date range check; either may be absent (open-ended). */
export interface DateRange {
  readonly min?: string;
  readonly max?: string;
}

/** Validates a real `YYYY-MM-DD` date inside an inclusive range (ISO dates compare as text). */
export function validateDateInRange(value: string, range: DateRange): ValidationResult {
  const date = validateDate(value);
  if (!date.valid) return date;
  if (range.min !== undefined && value < range.min) return fail('range');
  if (range.max !== undefined && value > range.max) return fail('range');
  return ok;
}

// ---------------------------------------------------------------------------------------------
// GB 11643-1999 citizen ID numbers

/** Weights of positions 1..17 of a GB 11643 number (ISO 7064 MOD 11-2). */
export const citizenIdWeights: readonly number[] = Object.freeze([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]);
/** S mod 11 = 0..10 maps to these check characters. */
export const citizenIdCheckChars = '10X98765432';

/** The GB 11643 check character of the first 17 digits. */
export function citizenIdCheckChar(first17: string): string {
  let sum = 0;
  for (let index = 0; index < 17; index++) sum += Number(first17[index]) * citizenIdWeights[index]!;
  return citizenIdCheckChars[sum % 11]!;
}

/** What a citizen ID number is: a valid 18-digit number, a recognised legacy 15-digit one, or invalid. */
export type CitizenIdKind = 'valid' | 'legacy' | 'invalid';

/** The result of validating a citizen ID number, with the facts it encodes when it is readable. */
export interface CitizenIdResult extends ValidationResult {
  readonly kind: CitizenIdKind;
  /** GB/T 2260 county code (positions 1–6). */
  readonly division?: string;
  /** Birth date as `YYYY-MM-DD` (legacy numbers: 19YY). */
  readonly birthDate?: string;
  /** GB/T 2261.1 sex code: `1` male (odd sequence), `2` female (even). */
  readonly sex?: '1' | '2';
}

/**
 * Validates a GB 11643 number. 18 characters: 17 digits and a check digit or `X` (upper case
 * only), a real birth date, and the MOD 11-2 check. A 15-digit number with a real 19YYMMDD date is
 * recognised as legacy (`kind: 'legacy'`, `valid: false`): it has no check character to verify.
 */
export function validateCitizenId(value: string): CitizenIdResult {
  if (/^[0-9]{15}$/.test(value)) {
    const compact = `19${value.slice(6, 12)}`;
    if (!isRealCompactDate(compact)) return { valid: false, reason: 'date', kind: 'invalid' };
    return { valid: false, reason: 'format', kind: 'legacy', ...facts(value.slice(0, 6), compact, value[14]!) };
  }
  if (!/^[0-9]{17}[0-9X]$/.test(value)) return { valid: false, reason: 'format', kind: 'invalid' };
  const compact = value.slice(6, 14);
  if (!isRealCompactDate(compact)) return { valid: false, reason: 'date', kind: 'invalid' };
  if (citizenIdCheckChar(value) !== value[17]) return { valid: false, reason: 'check', kind: 'invalid' };
  return { valid: true, kind: 'valid', ...facts(value.slice(0, 6), compact, value[16]!) };
}

function facts(division: string, compact: string, lastSequenceDigit: string): Pick<CitizenIdResult, 'division' | 'birthDate' | 'sex'> {
  return {
    division,
    birthDate: `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}`,
    sex: Number(lastSequenceDigit) % 2 === 1 ? '1' : '2',
  };
}

// ---------------------------------------------------------------------------------------------
// GB 32100-2015 unified social credit codes

/** The 31 characters of a credit code; a character's value is its index. */
export const creditCodeCharset = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** Weights of positions 1..17 (3^(i−1) mod 31). */
export const creditCodeWeights: readonly number[] = Object.freeze([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]);

/** The GB 32100 check character of the first 17 characters (all from the charset). */
export function creditCodeCheckChar(first17: string): string {
  let sum = 0;
  for (let index = 0; index < 17; index++) sum += creditCodeCharset.indexOf(first17[index]!) * creditCodeWeights[index]!;
  return creditCodeCharset[(31 - (sum % 31)) % 31]!;
}

/**
 * Validates a GB 32100 code: 18 characters from the charset and the check character. Positions 1
 * (registration authority) and 2 (organisation kind) are checked only against the charset: their
 * tables are not fully verified (STANDARDS.md), so the validator is lenient there.
 */
export function validateCreditCode(value: string): ValidationResult {
  if (value.length !== 18 || [...value].some((char) => !creditCodeCharset.includes(char))) return fail('format');
  return creditCodeCheckChar(value) === value[17] ? ok : fail('check');
}

// ---------------------------------------------------------------------------------------------
// GB/T 36904-2018 electronic license identifiers

/** The fixed prefix of every electronic license identifier. */
export const licensePrefix = '1.2.156.3005.2.';
const alnum = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const licensePattern = /^1\.2\.156\.3005\.2\.([0-9A-Z]{21})\.([0-9A-Z]{18})\.([0-9A-Z]+)\.([0-9]{3})\.([0-9A-Z])$/;

/** ISO/IEC 7064 MOD 37,36 (hybrid, alphabet 0-9A-Z) check character of a string over that alphabet. */
export function mod3736CheckChar(text: string): string {
  const modulus = 36;
  let product = modulus;
  for (const char of text) {
    let sum = (product + alnum.indexOf(char)) % modulus;
    if (sum === 0) sum = modulus;
    product = (2 * sum) % (modulus + 1);
  }
  return alnum[(modulus + 1 - product) % modulus]!;
}

/** The parts of a license identifier. */
export interface LicenseIdParts {
  readonly typeCode: string;
  readonly issuerCode: string;
  readonly serial: string;
  readonly version: string;
  readonly check: string;
}

/** Splits a license identifier into its parts, or undefined when its format is wrong. */
export function parseLicenseId(value: string): LicenseIdParts | undefined {
  const match = licensePattern.exec(value);
  if (!match) return undefined;
  const [, typeCode, issuerCode, serial, version, check] = match;
  return { typeCode: typeCode!, issuerCode: issuerCode!, serial: serial!, version: version!, check: check! };
}

/** Validates a GB/T 36904 identifier: format, and MOD 37,36 over type+issuer+serial+version. */
export function validateLicenseId(value: string): ValidationResult {
  const parts = parseLicenseId(value);
  if (!parts) return fail('format');
  const expected = mod3736CheckChar(parts.typeCode + parts.issuerCode + parts.serial + parts.version);
  return expected === parts.check ? ok : fail('check');
}

// ---------------------------------------------------------------------------------------------
// GB/T 2261.1 sex codes and GB/T 2260 division codes

/** GB/T 2261.1-2003 sex codes with their meaning. */
export const sexCodes: Readonly<Record<string, string>> = Object.freeze({ '0': 'unknown', '1': 'male', '2': 'female', '9': 'unstated' });

/** Validates a GB/T 2261.1 sex code. */
export function validateSexCode(value: string): ValidationResult {
  return Object.hasOwn(sexCodes, value) ? ok : fail('code');
}

/** Whether a string has the GB/T 2260 shape: six digits. */
export function isDivisionShaped(value: string): boolean {
  return /^[0-9]{6}$/.test(value);
}

/** Validates a division code against a code table (a set of six-digit codes). */
export function validateDivisionCode(value: string, codes: ReadonlySet<string>): ValidationResult {
  if (!isDivisionShaped(value)) return fail('format');
  return codes.has(value) ? ok : fail('division');
}
