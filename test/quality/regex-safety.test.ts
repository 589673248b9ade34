/**
 * Regex rules on SQLite: the REGEXP function the store registers, and the guard against patterns
 * that make a backtracking engine take exponential time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { checkCustomSql } from '../../src/quality/domain/custom-sql.ts';
import { nestedQuantifierAt, parseRules } from '../../src/quality/domain/rules.ts';
import { openStore, sqliteRegexpMaxInput } from '../../src/store/open-store.ts';

test('patterns that repeat an unboundedly repeating group are found, with the offset of the outer quantifier', () => {
  for (const [pattern, at] of [
    ['(a+)+', 4],
    ['^(\\d*,)*$', 7],
    ['(?:x|y+){2,}', 8],
    ['((ab)*c)*', 8],
    ['(a{2,})+', 7],
  ] as const) {
    assert.equal(nestedQuantifierAt(pattern), at, pattern);
  }
  for (const pattern of ['^[0-9]{17}[0-9X]$', '^\\p{Han}+$', '(ab)+', '([0-9]{3}-)+', '(a+)?', '[(a+)]+', '\\(a+\\)+', '(a{1,3})+']) {
    assert.equal(nestedQuantifierAt(pattern), undefined, pattern);
  }
});

test('a regex rule with nested quantifiers is refused when the rules are parsed, naming the place', () => {
  assert.throws(
    () => parseRules({ rules: [{ check: 'regex', name: 'slow', field: 'name', pattern: '^([a-z]+)*$' }] }),
    (error: Error & { code?: string }) => error.code === 'invalid_input' && /character 10.*exponential time/.test(error.message),
  );
  assert.equal(parseRules({ rules: [{ check: 'regex', name: 'ok', field: 'name', pattern: '^[a-z]+$' }] }).rules.length, 1);
});

test('custom SQL may not call REGEXP, whose pattern no screen checks; DuckDB regexp_ functions stay allowed', () => {
  for (const query of ["select * from dataset where name regexp '^(a+)+$'", "select * from dataset where not regexp('^[0-9]+$', code)"]) {
    assert.throws(() => checkCustomSql(query, [], 'custom'), /REGEXP.*write a `regex` rule/, query);
  }
  assert.equal(checkCustomSql("select * from dataset where regexp_matches(name, '^x')", [], 'custom'), "select * from dataset where regexp_matches(name, '^x')");
});

test('SQLite REGEXP: matches with the u flag, NULL stays NULL, over-long values never match, bad patterns are errors', async () => {
  const store = await openStore({ sqlitePath: ':memory:' });
  try {
    const ask = async (value: string | null, pattern: string) =>
      (await sql<{ m: number | null }>`select ${value} regexp ${pattern} as m`.execute(store.db)).rows[0]!.m;
    assert.equal(await ask('11010519491231002X', '^[0-9]{17}[0-9X]$'), 1);
    assert.equal(await ask('11010519491231002Y', '^[0-9]{17}[0-9X]$'), 0);
    assert.equal(await ask('王小明', '^\\p{Script=Han}+$'), 1);
    assert.equal(await ask(null, '^a$'), null);
    assert.equal(await ask('a'.repeat(sqliteRegexpMaxInput), '^a+$'), 1);
    assert.equal(await ask('a'.repeat(sqliteRegexpMaxInput + 1), '^a+$'), 0);
    await assert.rejects(ask('a', '(['), /Invalid regular expression/);
  } finally {
    await store.close();
  }
});
