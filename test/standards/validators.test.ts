import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  citizenIdCheckChar,
  creditCodeCheckChar,
  mod3736CheckChar,
  validateCitizenId,
  validateCreditCode,
  validateDate,
  validateDateInRange,
  validateDivisionCode,
  validateLicenseId,
  validateSexCode,
} from '../../src/standards/domain/validators.ts';
import { builtInDivisionCodes, parseCodeTable } from '../../src/standards/code-tables.ts';

const licenseSample = '1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U';

/** Every single-character substitution of `value` at `index` by a different character of `alphabet`. */
function substitutions(value: string, index: number, alphabet: string): string[] {
  return [...alphabet].filter((char) => char !== value[index]).map((char) => value.slice(0, index) + char + value.slice(index + 1));
}

describe('GB 11643 citizen ID numbers', () => {
  test('the published samples are valid and decode division, birth date and sex', () => {
    assert.deepEqual(validateCitizenId('11010519491231002X'), { valid: true, kind: 'valid', division: '110105', birthDate: '1949-12-31', sex: '2' });
    assert.deepEqual(validateCitizenId('440524188001010014'), { valid: true, kind: 'valid', division: '440524', birthDate: '1880-01-01', sex: '1' });
  });

  test('every other check character is refused with reason check', () => {
    for (const sample of ['11010519491231002X', '440524188001010014']) {
      for (const mutated of substitutions(sample, 17, '0123456789X')) assert.deepEqual(validateCitizenId(mutated), { valid: false, reason: 'check', kind: 'invalid' });
    }
  });

  test('a changed digit of the address or sequence breaks the check', () => {
    for (const index of [0, 3, 5, 14, 15, 16]) {
      for (const mutated of substitutions('440524188001010014', index, '0123456789')) assert.equal(validateCitizenId(mutated).reason, 'check', mutated);
    }
  });

  test('an impossible birth date is refused even with a matching check character', () => {
    for (const date of ['19490230', '19000229', '20231301', '20230100', '20230431']) {
      const first17 = `110105${date}002`;
      assert.deepEqual(validateCitizenId(first17 + citizenIdCheckChar(first17)), { valid: false, reason: 'date', kind: 'invalid' });
    }
    const leap = '110105200002290021';
    assert.equal(validateCitizenId(leap.slice(0, 17) + citizenIdCheckChar(leap)).valid, true);
  });

  test('format faults: length, lower-case x, letters, spaces', () => {
    for (const value of ['', '11010519491231002', '11010519491231002XX', '11010519491231002x', '1101051949123100AX', ' 11010519491231002X']) {
      assert.deepEqual(validateCitizenId(value), { valid: false, reason: 'format', kind: 'invalid' });
    }
  });

  test('15-digit legacy numbers are recognised and reported as legacy, not valid', () => {
    assert.deepEqual(validateCitizenId('110105491231002'), {
      valid: false,
      reason: 'format',
      kind: 'legacy',
      division: '110105',
      birthDate: '1949-12-31',
      sex: '2',
    });
    assert.equal(validateCitizenId('110105490230002').kind, 'invalid');
  });
});

describe('GB 32100 unified social credit codes', () => {
  test('the published sample is valid and its check character is recomputed', () => {
    assert.deepEqual(validateCreditCode('91110000600037341L'), { valid: true });
    assert.equal(creditCodeCheckChar('91110000600037341'), 'L');
  });

  test('any other check character fails; a forbidden letter (I O S V Z) is a format fault', () => {
    for (const mutated of substitutions('91110000600037341L', 17, '0123456789ABCDEFGHJKLMNPQRTUWXY')) assert.deepEqual(validateCreditCode(mutated), { valid: false, reason: 'check' });
    for (const char of 'IOSVZ') assert.deepEqual(validateCreditCode(`9111000060003734${char}L`), { valid: false, reason: 'format' });
    assert.deepEqual(validateCreditCode('91110000600037341'), { valid: false, reason: 'format' });
    assert.deepEqual(validateCreditCode('91110000600037341l'), { valid: false, reason: 'format' });
  });

  test('positions 1 and 2 are lenient: any charset character with a correct check passes', () => {
    const first17 = 'Y0110000600037341';
    assert.equal(validateCreditCode(first17 + creditCodeCheckChar(first17)).valid, true);
  });
});

describe('GB/T 36904 electronic license identifiers', () => {
  test('the published sample validates (MOD 37,36 over type+issuer+serial+version)', () => {
    assert.deepEqual(validateLicenseId(licenseSample), { valid: true });
    assert.equal(mod3736CheckChar('11100000000013338W01111430000006122244L20230000403001'), 'U');
  });

  test('mutations of the check, serial or version fail the check; broken structure fails the format', () => {
    for (const mutated of substitutions(licenseSample, licenseSample.length - 1, '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ')) assert.deepEqual(validateLicenseId(mutated), { valid: false, reason: 'check' });
    assert.equal(validateLicenseId(licenseSample.replace('.20230000403.', '.20230000404.')).reason, 'check');
    assert.equal(validateLicenseId(licenseSample.replace('.001.U', '.002.U')).reason, 'check');
    assert.equal(validateLicenseId(licenseSample.replace('1.2.156.3005.2.', '1.2.156.3005.3.')).reason, 'format');
    assert.equal(validateLicenseId(licenseSample.replace('.20230000403.', '..')).reason, 'format');
    assert.equal(validateLicenseId(licenseSample.toLowerCase()).reason, 'format');
  });
});

describe('GB/T 2261.1, GB/T 2260 and dates', () => {
  test('sex codes 0 1 2 9 only', () => {
    for (const code of ['0', '1', '2', '9']) assert.equal(validateSexCode(code).valid, true);
    for (const code of ['3', '', '男', '01', 'M']) assert.deepEqual(validateSexCode(code), { valid: false, reason: 'code' });
  });

  test('built-in division table: 湘潭市 430300 is a division, the zone 430371 is not', () => {
    const codes = builtInDivisionCodes();
    assert.equal(validateDivisionCode('110000', codes).valid, true);
    assert.equal(validateDivisionCode('430300', codes).valid, true);
    assert.deepEqual(validateDivisionCode('430371', codes), { valid: false, reason: 'division' });
    assert.deepEqual(validateDivisionCode('43032', codes), { valid: false, reason: 'format' });
  });

  test('a user-supplied code table CSV loads; bad rows are refused naming the line', () => {
    const table = parseCodeTable('code,name\n110000,北京市\r\n110101,东城区\n\n');
    assert.deepEqual([...table.codes], ['110000', '110101']);
    assert.equal(table.names.get('110101'), '东城区');
    assert.throws(() => parseCodeTable('code,name\n110000,北京市\n11-000,坏\n'), (error: Error & { details?: { line?: number } }) => /line 3/i.test(error.message) && error.details?.line === 3);
    assert.throws(() => parseCodeTable('name,code\n北京市,110000\n'), /first column/);
    assert.throws(() => parseCodeTable('code,name\n110000,北京市\n110000,again\n'), /line 3.*twice/i);
  });

  test('dates must be real days; ranges are inclusive', () => {
    assert.equal(validateDate('2024-02-29').valid, true);
    assert.deepEqual(validateDate('2023-02-29'), { valid: false, reason: 'date' });
    assert.deepEqual(validateDate('2023-2-28'), { valid: false, reason: 'format' });
    assert.equal(validateDateInRange('2000-01-01', { min: '2000-01-01', max: '2000-12-31' }).valid, true);
    assert.deepEqual(validateDateInRange('1999-12-31', { min: '2000-01-01' }), { valid: false, reason: 'range' });
    assert.deepEqual(validateDateInRange('2001-01-01', { max: '2000-12-31' }), { valid: false, reason: 'range' });
  });
});
