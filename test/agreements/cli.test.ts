/** `tongban agreement …`, run in-process against a node initialised by `tongban init`. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { createOutput } from '../../src/cli/output.ts';
import { agreementId } from './fixtures.ts';

async function tongban(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, createOutput({ out: (text) => out.push(text), err: (text) => err.push(text) }));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const example = fileURLToPath(new URL('../../docs/examples/agreement-social-insurance.yaml', import.meta.url));

describe('tongban agreement', () => {
  const root = mkdtempSync(join(tmpdir(), 'tongban-agreement-cli-'));
  const dir = join(root, 'anshun');
  const at = (...args: string[]) => tongban(...args, '--dir', dir);

  before(async () => {
    const init = await tongban('init', '--code', '520400', '--name', '安顺市', '--dir', dir, '--port', '0', '--json');
    assert.equal(init.code, 0, init.err);
    const config = join(dir, 'tongban.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}auth:\n  passwordCostLog2: 10\n`);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('import, import again, list and show', async () => {
    const imported = await at('agreement', 'import', example, '--json');
    assert.equal(imported.code, 0, imported.err);
    const result = JSON.parse(imported.out);
    assert.deepEqual([result.created, result.agreement.id, result.agreement.version, result.agreement.state], [true, agreementId, 1, 'draft']);

    const again = await at('agreement', 'import', example);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /^Replaced the draft: agr-520400-331083-social-insurance version 1 is draft/);
    assert.match(again.out, /Next: tongban agreement propose agr-520400-331083-social-insurance/);

    const list = await at('agreement', 'list');
    assert.match(list.out, /agr-520400-331083-social-insurance\s+1\s+draft\s+520400,331083/);
    const show = await at('agreement', 'show', agreementId, '--version', '1');
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /state:\s+draft/);
    assert.match(show.out, /parties:\s+520400 \(provider\), 331083 \(requester\)/);
    assert.match(show.out, /History:/);
    const document = JSON.parse((await at('agreement', 'show', agreementId, '--document', '--json')).out);
    assert.equal(document.title, '安顺—玉环 务工人员社保与就医备案协同协议');
  });

  test('a broken file is refused with its path and line', async () => {
    const broken = join(root, 'broken.yaml');
    writeFileSync(broken, readFileSync(example, 'utf8').replace('mode: online                            # 全程网办', 'mode: remote'));
    const run = await at('agreement', 'import', broken);
    assert.equal(run.code, 1);
    assert.match(run.err, /^error \[agreement_invalid\]: .*broken\.yaml is invalid at \/items\/0\/mode \(line \d+\): is "remote"; allowed: online, proxy, joint/);
    const missing = await at('agreement', 'import', join(root, 'nothing.yaml'));
    assert.match(missing.err, /^error \[not_found\]: Cannot read/);
  });

  test('propose and sign while the partner is unknown here: the messages wait; activation is refused', async () => {
    const proposed = await at('agreement', 'propose', agreementId, '--json');
    assert.equal(proposed.code, 0, proposed.err);
    const result = JSON.parse(proposed.out);
    assert.equal(result.agreement.state, 'proposed');
    assert.equal(result.deliveries[0].status, 'pending');
    assert.match(result.deliveries[0].error, /331083 is not in this node's copy of the directory/);

    const signed = await at('agreement', 'sign', agreementId);
    assert.equal(signed.code, 0, signed.err);
    assert.match(signed.out, /^Signed: .* is proposed \(signed by 520400\)/);
    assert.match(signed.out, /signature → 331083: pending .*retried in the background/);

    const activate = await at('agreement', 'activate', agreementId);
    assert.equal(activate.code, 1);
    assert.match(activate.err, /^error \[agreement_not_signed\]: .*no signature of 331083/);
    const suspend = await at('agreement', 'suspend', agreementId);
    assert.match(suspend.err, /^error \[agreement_transition_invalid\]/);
    const unknown = await at('agreement', 'show', 'agr-nothing');
    assert.match(unknown.err, /^error \[agreement_unknown\]/);
  });

  test('approve a conditional dataset for the requester', async () => {
    // A last day some months ahead, whenever the test runs.
    const until = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10);
    const approved = await at('agreement', 'approve', agreementId, '--dataset', '520400/household-registration', '--requester', '331083', '--until', until, '--json');
    assert.equal(approved.code, 0, approved.err);
    const result = JSON.parse(approved.out);
    assert.equal(result.approval.validTo, new Date(Date.parse(`${until}T00:00:00+08:00`) + 86_400_000).toISOString(), 'the whole last day, Beijing time');
    assert.equal(result.deliveries[0].kind, 'approval');
    const wrong = await at('agreement', 'approve', agreementId, '--dataset', '520400/household-registration', '--requester', '330000', '--until', until);
    assert.match(wrong.err, /^error \[dataset_not_granted\]/);
  });

  test('explain a hypothetical request from a YAML file', async () => {
    const file = join(root, 'request.yaml');
    writeFileSync(
      file,
      ['requester: "331083"', `agreement: ${agreementId}@1`, 'item: 就医结算备案', 'purpose: medical-filing', 'operation: query', 'dataset: 520400/social-insurance-enrolment', 'fields: [name]', 'at: 2026-06-01T00:00:00Z'].join('\n'),
    );
    const human = await at('agreement', 'explain', '--request', file);
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /^DENY agreement_not_active \(agr-520400-331083-social-insurance@1\): .* is proposed, not active\./);
    assert.match(human.out, /request:\s+331083 → 520400, query 520400\/social-insurance-enrolment \[name\]/);
    const json = JSON.parse((await at('agreement', 'explain', '--request', file, '--json')).out);
    assert.equal(json.decision.code, 'agreement_not_active');
    writeFileSync(file, 'requester: [');
    assert.match((await at('agreement', 'explain', '--request', file)).err, /^error \[invalid_input\]: .*not valid YAML or JSON/);
  });

  test('terminate with a reason; the schema command prints the JSON Schema', async () => {
    const terminated = await at('agreement', 'terminate', agreementId, '--reason', '改用新版本');
    assert.equal(terminated.code, 0, terminated.err);
    assert.match(terminated.out, /^Terminated: .* is terminated/);
    const show = await at('agreement', 'show', agreementId);
    assert.match(show.out, /proposed\s+terminated\s+system\s+改用新版本/);
    const schema = await tongban('agreement', 'schema');
    assert.match(JSON.parse(schema.out).$id, /agreement\.schema\.json$/);
    const version = await tongban('-V');
    assert.equal(version.code, 0);
  });
});
