import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { InputError } from '../../src/core/errors.ts';
import { canonicalBytes, canonicalJson } from '../../src/crypto/canonical-json.ts';

function fromIeee754(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('canonicalJson (RFC 8785)', () => {
  test('§3.2.2 example: literals, numbers and string escapes', () => {
    const input = String.raw`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`;
    const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
    assert.equal(canonicalJson(JSON.parse(input)), expected);
  });

  test('§3.2.3 example: members sorted by UTF-16 code units', () => {
    const input = String.raw`{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`;
    const expected =
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
      '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    assert.equal(canonicalJson(JSON.parse(input)), expected);
  });

  test('UTF-16 order, not code point order: U+FB33 sorts after a surrogate pair', () => {
    // Code point order would put U+FB33 before U+1F600; UTF-16 puts 0xD83D first.
    assert.equal(canonicalJson({ '\ufb33': 1, '\u{1f600}': 2 }), '{"\u{1f600}":2,"\ufb33":1}');
  });

  test('Appendix B number serialisation', () => {
    const cases: Array<[string, string]> = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [hex, expected] of cases) assert.equal(canonicalJson(fromIeee754(hex)), expected, hex);
  });

  test('NaN and infinities are refused (Appendix B)', () => {
    for (const hex of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
      assert.throws(() => canonicalJson({ n: fromIeee754(hex) }), InputError);
    }
  });

  test('refuses what JSON cannot carry, naming where', () => {
    const refused: unknown[] = [
      { a: undefined },
      [1, undefined],
      { a: () => 1 },
      { a: Symbol('s') },
      { a: 1n },
      new Map([['a', 1]]),
      { a: new Uint8Array(2) },
      undefined,
    ];
    for (const value of refused) assert.throws(() => canonicalJson(value), InputError);
    assert.throws(() => canonicalJson({ deep: { list: [0, { bad: undefined }] } }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.details?.path, '$.deep.list[1].bad');
      return true;
    });
  });

  test('refuses cycles and lone surrogates', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.throws(() => canonicalJson(cyclic), InputError);
    assert.throws(() => canonicalJson({ s: 'a\ud800b' }), InputError);
    assert.throws(() => canonicalJson({ ['k\udc00']: 1 }), InputError);
  });

  test('a literal backslash-u in a string is not mistaken for a lone surrogate', () => {
    assert.equal(canonicalJson({ s: '\\ud800' }), String.raw`{"s":"\\ud800"}`);
  });

  test('keys the fast path hands over: array indexes and __proto__', () => {
    assert.equal(canonicalJson({ b: 1, 10: 2, 2: 3, a: { 1: true } }), '{"10":2,"2":3,"a":{"1":true},"b":1}');
    const withProto = JSON.parse('{"z":1,"__proto__":{"x":1}}') as unknown;
    assert.equal(canonicalJson(withProto), '{"__proto__":{"x":1},"z":1}');
    // The general path still refuses undefined anywhere in the value.
    assert.throws(() => canonicalJson({ 1: 'one', z: undefined }), InputError);
  });

  test('toJSON is honoured (dates become ISO strings)', () => {
    assert.equal(canonicalJson({ at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) }), '{"at":"2026-01-02T03:04:05.000Z"}');
  });

  test('leaves the input untouched', () => {
    const value = { b: [{ d: 1, c: 2 }], a: 1 };
    const before = JSON.stringify(value);
    canonicalJson(value);
    assert.equal(JSON.stringify(value), before);
  });

  test('canonicalBytes is the UTF-8 of canonicalJson', () => {
    assert.deepEqual(Buffer.from(canonicalBytes({ b: '通办', a: 1 })), Buffer.from('{"a":1,"b":"通办"}', 'utf8'));
  });

  test('agrees with the canonicalize package on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.equal(canonicalJson(value), canonicalize(value));
      }),
      { numRuns: 500 },
    );
  });

  test('agrees with the canonicalize package on objects with awkward keys', () => {
    const key = fc.oneof(fc.constantFrom('0', '1', '10', '01', '-1', '1.5', '__proto__', 'a', 'B', '\u00e9', '\u{1f600}'), fc.string());
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(key, tie('node'), { maxKeys: 5 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (input) => {
        assert.equal(canonicalJson(input), canonicalize(input));
      }),
      { numRuns: 500 },
    );
  });
});
