import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, consoleOverrides, launchBrowser, logInThroughConsole, newPage, screenshot } from '../support/browser.ts';
import { isBatchedJws } from '../../src/exchange/domain/batch.ts';
import { answeredFromOutbox, bridgeRequest, startTestFederation, type TestFederation } from '../support/federation.ts';

const skip = browserSkip();

/** Opens an Ant Design select by its field id and picks the option with this exact title. */
async function choose(page: Page, id: string, option: string): Promise<void> {
  await page.locator(`#${id}`).click();
  await page.locator(`.ant-select-dropdown:visible .ant-select-item-option[title="${option}"]`).click();
}

describe('console: exchange (caseworker asks a partner under the bridge agreement)', { skip }, () => {
  let federation: TestFederation;
  let browser: Browser;
  let page: Page;
  before(async () => {
    federation = await startTestFederation({ overrides: consoleOverrides() });
    browser = await launchBrowser();
    page = await newPage(browser);
    const caseworker = federation.bridge.requester.credentials.caseworker!;
    await logInThroughConsole(page, federation.requester.url, { username: caseworker.username, password: caseworker.password });
  });
  after(async () => {
    await browser?.close();
    await federation?.close();
  });

  /** Fills the common part of the form: the agreement and partner are picked for us (only one each). */
  async function fillBase(dataset: string, idNumber: string): Promise<void> {
    await page.goto(`${federation.requester.url}/exchange`);
    await page.locator('form#exchange').waitFor();
    const form = page.locator('form#exchange');
    await form.locator('.ant-select-content[title^="务工人员社保与就医备案协同协议"]').waitFor();
    await form.locator('.ant-select-content[title="520400"], .ant-select-content[title$="（520400）"]').waitFor();
    await choose(page, 'exchange_dataset', dataset);
    await page.locator('#exchange_item').fill('就医结算备案');
    await page.locator('#exchange_purpose').fill('medical-filing');
    await page.locator('#exchange_keyValue').fill(idNumber);
  }

  async function addField(name: string): Promise<void> {
    await page.locator('#exchange_fields').fill(name);
    await page.locator('#exchange_fields').press('Enter');
  }

  test('a query to 520400 shows the signed answer: masked fields, the clause, the signing key and ids', async () => {
    const person = federation.bridge.people[0]!;
    await fillBase('520400/social-insurance-enrolment', person.idNumber);
    // Validation before sending: a query without fields is refused by the form itself.
    await page.getByTestId('exchange-submit').click();
    await page.getByText('查询请求至少选择一个数据项').waitFor();
    await addField('name');
    await addField('insuredStatus');
    await page.keyboard.press('Escape');
    await page.getByTestId('exchange-submit').click();
    const answer = page.getByTestId('exchange-answer');
    await answer.waitFor();
    await answer.getByText('对方已答复').waitFor();
    const table = page.getByTestId('exchange-records');
    const masked = [...person.name][0] + '*'.repeat([...person.name].length - 1);
    await table.getByText(masked, { exact: true }).waitFor();
    await table.getByText('active', { exact: true }).waitFor();
    assert.equal(await table.getByText(person.name, { exact: true }).count(), 0, 'the full name never reaches the screen');
    assert.match((await page.getByTestId('answer-clause').textContent()) ?? '', /^\/datasets\/0\/grants\/0/);
    const kid = (await page.getByTestId('evidence-kid').textContent()) ?? '';
    assert.ok(kid.length > 3 && kid !== '—', `the signing key is shown (${kid})`);
    await page.getByTestId('exchange-evidence').getByText('贵州省安顺市（520400）').waitFor();
    // The mask the agreement applies is named next to the field.
    await table.getByText('仅保留首字').waitFor();
    await screenshot(page, 'exchange-answer');
  });

  test('a verify answers yes without any record', async () => {
    const person = federation.bridge.people[0]!;
    await fillBase('520400/social-insurance-enrolment', person.idNumber);
    await page.getByText('核验（仅返回是/否）').click();
    await choose(page, 'exchange_predicateField', 'isInsured');
    await page.locator('#exchange_predicateEquals').fill('true');
    await page.getByTestId('exchange-submit').click();
    await page.getByTestId('verify-result').filter({ hasText: '核验结果：是' }).waitFor();
    assert.equal(await page.getByTestId('exchange-records').count(), 0);
    await screenshot(page, 'exchange-verify');
  });

  test('a field outside the agreement is refused with its code and the refusing clause', async () => {
    await fillBase('520400/social-insurance-enrolment', federation.bridge.people[1]!.idNumber);
    await addField('name');
    await addField('birthDate');
    await page.keyboard.press('Escape');
    await page.getByTestId('exchange-submit').click();
    const refusal = page.getByTestId('exchange-refusal');
    await refusal.waitFor();
    assert.equal(await page.getByTestId('refusal-code').textContent(), 'field_not_granted');
    assert.match((await page.getByTestId('refusal-clause').textContent()) ?? '', /^\/datasets\/0\/grants\/0/);
    await refusal.getByText('所请求的部分数据项未授权给请求方').waitFor();
    await screenshot(page, 'exchange-refused');
  });

  test('a conditional dataset without a standing approval is refused with the approval clause', async () => {
    await fillBase('520400/household-registration', federation.bridge.people[2]!.idNumber);
    await page.getByText('核验（仅返回是/否）').click();
    await page.getByTestId('exchange-submit').click();
    await page.getByTestId('exchange-refusal').waitFor();
    assert.equal(await page.getByTestId('refusal-code').textContent(), 'approval_required');
    assert.match((await page.getByTestId('refusal-clause').textContent()) ?? '', /^\/datasets\/1/);
  });

  test('a request queued in the outbox is delivered, answered, and listed above the sync ones with a detail drawer', async () => {
    await fillBase('520400/social-insurance-enrolment', federation.bridge.people[3]!.idNumber);
    await addField('insuredStatus');
    await page.keyboard.press('Escape');
    await page.getByText('放入发件箱（失败自动重试）').click();
    await page.getByTestId('exchange-submit').click();
    await page.getByTestId('exchange-answer').waitFor({ timeout: 30_000 });
    await page.getByTestId('exchange-records').getByText('active', { exact: true }).waitFor();
    const list = page.getByTestId('exchange-requests');
    // Every request sent in this file is listed, sync ones too: 2 answered, 2 refused, then this one.
    await page.getByText('共 5 条').waitFor();
    const rows = list.locator('tbody tr.ant-table-row');
    await rows.first().getByText('已答复').waitFor();
    assert.equal(await rows.count(), 5);
    assert.equal(await rows.first().getByTestId('exchange-mode').textContent(), '异步', 'newest first: the outbox request');
    const modes = await list.getByTestId('exchange-mode').allTextContents();
    assert.deepEqual(modes, ['异步', '同步', '同步', '同步', '同步']);
    await rows.first().getByRole('button', { name: '详情' }).click();
    const drawer = page.getByTestId('exchange-drawer');
    await drawer.getByTestId('exchange-answer').waitFor();
    await drawer.getByTestId('exchange-evidence').waitFor();
    await drawer.getByText('贵州省安顺市（520400）').first().waitFor();
    assert.equal(await drawer.getByTestId('exchange-sync-note').count(), 0);
    // The drawer has finished sliding in (the root tsconfig has no DOM types, hence the cast).
    await page.waitForFunction(() => (globalThis as unknown as { document: { getAnimations(): unknown[] } }).document.getAnimations().length === 0);
    await screenshot(page, 'exchange-outbox-drawer');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
  });

  test('the list filters on the server by outcome and mode; a sync row shows its decision only', async () => {
    await page.goto(`${federation.requester.url}/exchange`);
    const list = page.getByTestId('exchange-requests');
    await list.waitFor();
    await page.getByText('共 5 条').waitFor();
    await choose(page, 'exchange-filter-outcome', '已拒绝');
    await page.getByText('共 2 条').waitFor();
    const rows = list.locator('tbody tr.ant-table-row');
    assert.equal(await rows.count(), 2);
    const codes = (await list.locator('tbody').textContent()) ?? '';
    assert.ok(codes.includes('field_not_granted') && codes.includes('approval_required'), codes);
    assert.match(codes, /\/datasets\/0\/grants\/0/, 'the refusing clause is a column');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => (globalThis as unknown as { document: { getAnimations(): unknown[] } }).document.getAnimations().length === 0);
    await screenshot(page, 'exchange-list-filtered');

    // The refused request, sent while waiting: its code and clause, no evidence kept.
    await rows.filter({ hasText: 'field_not_granted' }).getByRole('button', { name: '详情' }).click();
    const drawer = page.getByTestId('exchange-drawer');
    await drawer.getByTestId('exchange-sync-note').waitFor();
    assert.equal(await drawer.getByTestId('exchange-row-code').textContent(), 'field_not_granted');
    assert.equal(await drawer.getByTestId('refusal-code').textContent(), 'field_not_granted');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });

    // Answered and sync: the verify and the first query; the decision without records or evidence.
    await choose(page, 'exchange-filter-outcome', '已答复');
    await page.getByText('共 3 条').waitFor();
    await choose(page, 'exchange-filter-mode', '同步');
    await page.getByText('共 2 条').waitFor();
    await list.locator('tbody tr.ant-table-row').filter({ hasText: '查询' }).getByRole('button', { name: '详情' }).click();
    await drawer.getByTestId('exchange-sync-note').waitFor();
    await drawer.getByTestId('exchange-answer').getByText('对方已答复').waitFor();
    assert.match((await drawer.getByTestId('answer-clause').textContent()) ?? '', /^\/datasets\/0\/grants\/0/);
    assert.equal(await drawer.getByTestId('exchange-records').count(), 0, 'sync rows keep no records');
    assert.equal(await drawer.getByTestId('exchange-evidence').count(), 0);
    await page.waitForFunction(() => (globalThis as unknown as { document: { getAnimations(): unknown[] } }).document.getAnimations().length === 0);
    await screenshot(page, 'exchange-sync-drawer');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });

    // A filter nothing matches says so; clearing brings every request back.
    await choose(page, 'exchange-filter-outcome', '失败');
    await page.getByTestId('exchange-requests-empty').getByText('没有符合筛选条件的请求').waitFor();
    await page.getByTestId('exchange-filters-clear').click();
    await page.getByText('共 5 条').waitFor();
  });

  test('an outbox request delivered in a batch shows its place in the batch and the batch id', async () => {
    // Queued together and due together, the outbox delivers them under shared batch signatures.
    const node = federation.requester.running.node;
    const queued = await Promise.all(Array.from({ length: 4 }, (_, index) => node.exchange.enqueue(bridgeRequest(federation.bridge, 10 + index))));
    const delivered = await answeredFromOutbox(node, queued.map((request) => request.id));
    const batched = delivered.find((request) => isBatchedJws((request.answer as { evidence?: unknown } | null)?.evidence));
    assert.ok(batched, `one of the queued requests went in a batch: ${JSON.stringify(delivered.map((request) => request.status))}`);
    const evidence = (batched.answer as { evidence: { index: number; batch: { payload: string } } }).evidence;
    const document = JSON.parse(Buffer.from(evidence.batch.payload, 'base64url').toString('utf8')) as { id: string; size: number };

    await page.goto(`${federation.requester.url}/exchange`);
    await page.getByText('共 9 条').waitFor();
    const row = page.getByTestId('exchange-requests').locator('tbody tr.ant-table-row').filter({ has: page.locator(`[title="${batched.id}"]`) });
    await row.getByRole('button', { name: '详情' }).click();
    const drawer = page.getByTestId('exchange-drawer');
    const place = drawer.getByTestId('evidence-batch');
    await place.waitFor();
    const text = (await place.textContent()) ?? '';
    assert.ok(text.startsWith(`${evidence.index + 1} / ${document.size}`), text);
    assert.ok(text.includes(document.id), text);
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
  });
});
