/** The agreement document: schema, rules between members, messages with path and line, the published schema. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { TongbanError } from '../../src/core/errors.ts';
import { parseAgreementText, validateAgreement, type AgreementIssue } from '../../src/agreements/index.ts';
import { agreementSchemaDocument } from '../../scripts/agreement-schema.ts';
import { agreementDoc, enrolment, household, provider, requester } from './fixtures.ts';

const example = readFileSync(new URL('../../docs/examples/agreement-social-insurance.yaml', import.meta.url), 'utf8');

/** The 1-based line of the first line containing `snippet`. */
function lineOf(text: string, snippet: string, from = 0): number {
  const lines = text.split('\n');
  const index = lines.findIndex((line, i) => i >= from && line.includes(snippet));
  assert.ok(index >= 0, `snippet not found: ${snippet}`);
  return index + 1;
}

/** Replaces exactly one occurrence, so a test never silently checks an unchanged document. */
function edit(text: string, from: string, to: string): string {
  assert.equal(text.split(from).length, 2, `expected exactly one "${from}"`);
  return text.replace(from, to);
}

function refusal(text: string): { message: string; path: string; line?: number; issues: AgreementIssue[] } {
  try {
    parseAgreementText(text);
  } catch (error) {
    assert.ok(error instanceof TongbanError);
    assert.equal(error.code, 'agreement_invalid');
    const details = error.details as { path: string; line?: number; issues?: AgreementIssue[] };
    return { message: error.message, path: details.path, ...(details.line !== undefined ? { line: details.line } : {}), issues: details.issues ?? [] };
  }
  assert.fail('the document was accepted');
}

/** Validates a document value (no source text) and returns its issues. */
function issuesOf(change: Parameters<typeof agreementDoc>[0]): AgreementIssue[] {
  return validateAgreement(agreementDoc(change));
}

function hasIssue(issues: readonly AgreementIssue[], path: string, pattern: RegExp): void {
  assert.ok(
    issues.some((issue) => issue.path === path && pattern.test(issue.message)),
    `expected an issue at ${path} matching ${pattern}; got ${JSON.stringify(issues)}`,
  );
}

describe('agreement document', () => {
  test('a good document and the published example are valid', () => {
    assert.deepEqual(validateAgreement(agreementDoc()), []);
    const parsed = parseAgreementText(example);
    assert.equal(parsed.id, 'agr-520400-331083-social-insurance');
    assert.equal(parsed.parties[0]?.node, '520400');
    assert.equal(parsed.validity.from, '2026-01-01', 'YAML dates stay text');
    // JSON is accepted too and means the same document.
    assert.deepEqual(parseAgreementText(JSON.stringify(parsed), { format: 'json' }), parsed);
  });

  test('docs/agreement.schema.json is generated from the TypeBox schema and up to date', () => {
    const published = readFileSync(new URL('../../docs/agreement.schema.json', import.meta.url), 'utf8');
    assert.equal(published, agreementSchemaDocument(), 'run: node --import tsx scripts/agreement-schema.ts > docs/agreement.schema.json');
    const schema = JSON.parse(published) as { additionalProperties: boolean; $id: string };
    assert.equal(schema.additionalProperties, false);
    assert.match(schema.$id, /agreement\.schema\.json$/);
  });

  test('an unknown member is named with its path, line and the members allowed', () => {
    const text = edit(example, '    sharing: conditional', '    sharing: conditional\n    sharng: typo');
    const found = refusal(text);
    assert.equal(found.path, '/datasets/1/sharng');
    assert.equal(found.line, lineOf(text, 'sharng: typo'));
    assert.match(found.message, /"sharng" is not allowed here; allowed: dataset, grade, sharing, approval, grants/);
    assert.match(found.message, /\(line \d+\)/);
  });

  test('a missing member, a wrong type, a value outside an enumeration, a bad pattern and a bad date', () => {
    const missing = refusal(edit(example, 'title: 安顺—玉环 务工人员社保与就医备案协同协议\n', ''));
    assert.equal(missing.path, '/title');
    assert.match(missing.message, /"title" is required/);

    const unquoted = edit(example, 'node: "331083", role', 'node: 331083, role');
    const typed = refusal(unquoted);
    assert.equal(typed.path, '/parties/1/node');
    assert.equal(typed.line, lineOf(unquoted, 'node: 331083, role'));
    assert.match(typed.message, /must be a string but is number 331083 \(write it in quotes: "331083"\)/);

    const mode = edit(example, '    mode: online                            # 全程网办', '    mode: remote');
    const enumerated = refusal(mode);
    assert.equal(enumerated.path, '/items/0/mode');
    assert.equal(enumerated.line, lineOf(mode, 'mode: remote'));
    assert.match(enumerated.message, /is "remote"; allowed: online, proxy, joint/);

    const pattern = edit(example, '  - dataset: "520400/household-registration"', '  - dataset: "household registration"');
    const patterned = refusal(pattern);
    assert.equal(patterned.path, '/datasets/1/dataset');
    assert.equal(patterned.line, lineOf(pattern, 'dataset: "household registration"'));
    assert.match(patterned.message, /must be a dataset id "<provider node code>\/<slug>"/);

    const date = refusal(edit(example, 'to: 2027-12-31', 'to: 2027-02-30'));
    assert.equal(date.path, '/validity/to');
    assert.match(date.message, /must be a real date YYYY-MM-DD, not "2027-02-30"/);

    const none = refusal(edit(example, 'sharing: conditional   ', 'sharing: none   '));
    assert.equal(none.path, '/datasets/1/sharing');
    assert.match(none.message, /shared "none" \(不予共享\) cannot be in an agreement/);

    const version = refusal(edit(example, 'version: 1\n', 'version: 0\n'));
    assert.equal(version.path, '/version');
    assert.match(version.message, /at least 1/);

    const id = refusal(edit(example, 'id: agr-520400-331083-social-insurance', 'id: Agreement 1'));
    assert.equal(id.path, '/id');
    assert.equal(id.line, lineOf(example, 'id: agr-'));
  });

  test('every problem is reported, in document order, not only the first', () => {
    const text = edit(edit(example, 'node: "331083", role', 'node: 331083, role'), '    mode: online                            # 全程网办', '    mode: remote');
    const found = refusal(text);
    assert.deepEqual(found.issues.map((issue) => issue.path), ['/parties/1/node', '/items/0/mode']);
    assert.match(found.message, /and 1 more problem\b/);
    assert.ok(found.issues.every((issue) => typeof issue.line === 'number'));
  });

  test('YAML and JSON syntax errors name the line', () => {
    const yaml = refusal('id: agr-x\nparties: [1, 2\nversion: 3\n');
    assert.equal(yaml.line, 3);
    assert.match(yaml.message, /not valid YAML at line 3/);
    const duplicate = refusal('id: agr-x\nversion: 1\nid: agr-y\n');
    assert.equal(duplicate.line, 3);
    assert.match(duplicate.message, /unique/);
    try {
      parseAgreementText('{\n  "id": "agr-x",\n  "version": 1,,\n}', { format: 'json', source: 'a.json' });
      assert.fail('accepted');
    } catch (error) {
      assert.ok(error instanceof TongbanError);
      assert.match(error.message, /^a\.json is not valid JSON at line 3/);
    }
    assert.equal(refusal('').path, '');
  });

  test('JSON input gets lines too', () => {
    const json = JSON.stringify(agreementDoc((doc) => (doc.datasets[0]!.grants[0]!.to = '999999')), null, 2);
    const found = refusal(json);
    assert.equal(found.path, '/datasets/0/grants/0/to');
    assert.equal(found.line, lineOf(json, '"to": "999999"'));
  });

  test('parties must be unique, and there must be a provider and a requester', () => {
    hasIssue(issuesOf((doc) => doc.parties.push({ node: provider, role: 'both' })), '/parties/2/node', /listed more than once/);
    hasIssue(
      issuesOf((doc) => (doc.parties = [{ node: provider, role: 'provider' }, { node: requester, role: 'provider' }])),
      '/parties',
      /no party has the role requester/,
    );
    hasIssue(issuesOf((doc) => (doc.parties = [{ node: provider, role: 'provider' }])), '/parties', /at least 2/);
  });

  test('grants, steps, controllers and approvals may name only parties, in the right role', () => {
    hasIssue(issuesOf((doc) => (doc.datasets[0]!.grants[0]!.to = '110000')), '/datasets/0/grants/0/to', /110000 is not a party/);
    hasIssue(
      issuesOf((doc) => {
        doc.parties.push({ node: '110000', role: 'provider' });
        doc.datasets[0]!.grants[0]!.to = '110000';
      }),
      '/datasets/0/grants/0/to',
      /role provider, not requester or both/,
    );
    hasIssue(issuesOf((doc) => (doc.items[0]!.steps[1]!.by = '110000')), '/items/0/steps/1/by', /not a party/);
    hasIssue(issuesOf((doc) => (doc.security.controller[enrolment] = '110000')), `/security/controller/520400~1social-insurance-enrolment`, /not a party/);
    hasIssue(issuesOf((doc) => (doc.datasets[1]!.approval = { by: '110000', deadlineWorkingDays: 5 })), '/datasets/1/approval/by', /not a party/);
  });

  test("a dataset's provider must be a party with the provider role", () => {
    hasIssue(
      issuesOf((doc) => {
        doc.datasets[0]!.dataset = '110000/social-insurance-enrolment';
        doc.security.controller = { '110000/social-insurance-enrolment': provider, [household]: provider };
        doc.service!.qualityFloor = {};
      }),
      '/datasets/0/dataset',
      /provider 110000 is not a party/,
    );
    hasIssue(
      issuesOf((doc) => {
        doc.datasets[0]!.dataset = `${requester}/social-insurance-enrolment`;
        doc.security.controller = { [`${requester}/social-insurance-enrolment`]: provider, [household]: provider };
        doc.service!.qualityFloor = {};
      }),
      '/datasets/0/dataset',
      /role requester, not provider or both/,
    );
  });

  test('grant items must be in the item list, masks must mask granted fields, and a grant must grant a field', () => {
    hasIssue(issuesOf((doc) => doc.datasets[0]!.grants[0]!.items.push('户口迁移')), '/datasets/0/grants/0/items/1', /"户口迁移" is not in the agreement's item list/);
    hasIssue(
      issuesOf((doc) => (doc.datasets[0]!.grants[0]!.mask = { idNumber: 'id-number' })),
      '/datasets/0/grants/0/mask/idNumber',
      /masks "idNumber", which the grant does not grant/,
    );
    hasIssue(
      issuesOf((doc) => {
        delete doc.datasets[0]!.grants[1]!.verify;
      }),
      '/datasets/0/grants/1',
      /grants no field/,
    );
  });

  test('no duplicate item codes or datasets; every dataset has a controller; references point at datasets', () => {
    hasIssue(issuesOf((doc) => doc.items.push({ ...doc.items[0]! })), '/items/2/code', /listed more than once/);
    hasIssue(issuesOf((doc) => doc.datasets.push({ ...doc.datasets[0]! })), '/datasets/2/dataset', /listed more than once/);
    hasIssue(
      issuesOf((doc) => {
        delete doc.security.controller[household];
      }),
      '/security/controller',
      /no controller for dataset 520400\/household-registration/,
    );
    hasIssue(issuesOf((doc) => (doc.security.controller['520400/other'] = provider)), '/security/controller/520400~1other', /not one of the agreement's datasets/);
    hasIssue(issuesOf((doc) => (doc.service!.qualityFloor!['520400/other'] = 90)), '/service/qualityFloor/520400~1other', /not one of the agreement's datasets/);
  });

  test('conditional datasets need an approval route, unconditional ones must not have one; validity must not end before it starts', () => {
    hasIssue(
      issuesOf((doc) => {
        delete doc.datasets[1]!.approval;
      }),
      '/datasets/1/approval',
      /needs an approval route/,
    );
    hasIssue(issuesOf((doc) => (doc.datasets[0]!.approval = { by: provider, deadlineWorkingDays: 5 })), '/datasets/0/approval', /only to conditional/);
    hasIssue(issuesOf((doc) => (doc.validity = { from: '2027-01-01', to: '2026-12-31' })), '/validity/to', /ends \(2026-12-31\) before it starts/);
  });

  test('room for later parts: extensions are kept, unknown top-level members are not', () => {
    assert.deepEqual(issuesOf((doc) => (doc.extensions = { 'negotiation.thread': { id: 't-1' } })), []);
    hasIssue(validateAgreement({ ...agreementDoc(), negotiation: {} }), '/negotiation', /not allowed/);
    hasIssue(issuesOf((doc) => (doc.extensions = { 'Bad Key': 1 })), '/extensions/Bad Key', /not allowed/);
  });

  test('a document written back to YAML reads the same', () => {
    const doc = agreementDoc();
    assert.deepEqual(parseAgreementText(stringify(doc)), doc);
  });
});
