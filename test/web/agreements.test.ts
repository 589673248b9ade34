import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, consoleOverrides, launchBrowser, logInThroughConsole, newPage, screenshot, withFailureRecord } from '../support/browser.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

const skip = browserSkip();

describe('console: agreements', { skip }, () => {
  let federation: TestFederation;
  let browser: Browser;
  let agreementId: string;
  before(async () => {
    federation = await startTestFederation({ overrides: consoleOverrides(), people: 20 });
    agreementId = federation.bridge.agreement.split('@')[0]!;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await federation?.close();
  });

  async function officerPage(): Promise<Page> {
    const page = await newPage(browser);
    await logInThroughConsole(page, federation.requester.url, federation.bridge.requester.credentials.agreements!);
    return page;
  }

  /**
   * Rethrows a timed-out wait with what the server holds, which tells a request that never
   * arrived (the state unchanged) from a screen that did not catch up (the state changed).
   */
  async function withServerView(error: unknown): Promise<never> {
    const held = await federation.bridge.requester.officer.call('GET', '/api/v1/agreements/agr-console-test').catch((cause: unknown) => String(cause));
    throw new Error(`${(error as Error).message}\nthe requester holds: ${JSON.stringify(held).slice(0, 3000)}`);
  }

  async function explain(page: Page, request: { requester: string; dataset: string; item: string; purpose: string; fields: string[] }): Promise<void> {
    await page.locator('#explain_requester').fill(request.requester);
    await page.locator('#explain_dataset').fill(request.dataset);
    await page.locator('#explain_item').fill(request.item);
    await page.locator('#explain_purpose').fill(request.purpose);
    await page.keyboard.press('Escape');
    for (const field of request.fields) {
      await page.locator('#explain_fields').fill(field);
      await page.locator('#explain_fields').press('Enter');
    }
    await page.keyboard.press('Escape');
    await page.getByTestId('explain-submit').click();
  }

  test('the agreement reads as a document with parties, grants, masking, duties and who signed which version', async () => {
    const page = await officerPage();
    await page.goto(`${federation.requester.url}/agreements`);
    const row = page.getByTestId('agreements-table').locator('tr', { hasText: agreementId });
    await row.getByText('生效中').waitFor();
    await screenshot(page, 'agreements-list');
    await row.getByTestId('agreement-link').click();
    await page.getByTestId('agreement-document').waitFor();
    assert.equal(await page.getByTestId('agreement-title').textContent(), '务工人员社保与就医备案协同协议');
    assert.equal(await page.getByTestId('agreement-state').textContent(), '生效中');
    const document = page.getByTestId('agreement-document');
    for (const text of ['贵州省安顺市（520400） · 数据提供方', '浙江省（330000） · 数据需求方', '就医结算备案', '全程网办', '520400/social-insurance-enrolment', 'name · 仅保留首字', '180 天', '24 小时', '99.5%']) {
      assert.ok(await document.getByText(text, { exact: false }).first().isVisible(), `the document shows ${text}`);
    }
    const signatures = page.getByTestId('agreement-signatures');
    await signatures.locator('tbody tr', { hasText: '520400' }).waitFor();
    await signatures.locator('tbody tr', { hasText: '330000' }).waitFor();
    assert.match((await signatures.locator('tbody tr', { hasText: '330000' }).textContent()) ?? '', /330000/);
    // Active: the officer may suspend or terminate, not sign again.
    assert.ok(await page.getByTestId('agreement-suspend').isVisible());
    assert.equal(await page.getByTestId('agreement-sign').count(), 0);
    await screenshot(page, 'agreements-document');
    await page.context().close();
  });

  test('explaining an allowed request shows the granting clause, the fields and their masks', async () => {
    const page = await officerPage();
    await page.goto(`${federation.requester.url}/agreements/${agreementId}?version=1`);
    await page.getByTestId('explain').waitFor();
    await explain(page, { requester: '330000', dataset: '520400/social-insurance-enrolment', item: '就医结算备案', purpose: 'medical-filing', fields: ['name', 'insuredStatus'] });
    await page.getByTestId('explain-result').waitFor();
    assert.equal(await page.getByTestId('explain-decision').textContent(), '允许');
    assert.match((await page.getByTestId('explain-clause').textContent()) ?? '', /^\/datasets\/0\/grants\/0/);
    assert.match((await page.getByTestId('explain-fields').textContent()) ?? '', /insuredStatus/);
    assert.match((await page.getByTestId('explain-masks').textContent()) ?? '', /name\s*仅保留首字/);
    assert.match((await page.getByTestId('explain-clause-text').textContent()) ?? '', /medical-filing/);
    await page.getByTestId('explain-result').scrollIntoViewIfNeeded();
    await screenshot(page, 'agreements-explain-allowed');
    await page.context().close();
  });

  test('explaining a refused request shows the refusal code and the clause that refused it', async () => {
    const page = await officerPage();
    await page.goto(`${federation.requester.url}/agreements`);
    await page.getByTestId('explain').waitFor();
    await explain(page, { requester: '330000', dataset: '520400/social-insurance-enrolment', item: '就医结算备案', purpose: 'marketing', fields: ['name'] });
    await page.getByTestId('explain-result').waitFor();
    assert.equal(await page.getByTestId('explain-decision').textContent(), '拒绝');
    assert.match((await page.getByTestId('explain-clause').textContent()) ?? '', /^\/datasets\/0/);
    assert.ok(((await page.getByTestId('explain-code').textContent()) ?? '').length > 0);
    assert.match((await page.getByTestId('explain-reason').textContent()) ?? '', /marketing/);
    await page.getByTestId('explain-result').scrollIntoViewIfNeeded();
    await screenshot(page, 'agreements-explain-refused');
    await page.context().close();
  });

  test('a pasted agreement that does not validate lists its problems by path and line; a valid one becomes a draft', async () => {
    const page = await officerPage();
    await withFailureRecord(page, 'agreements-lifecycle', async () => {
      await page.goto(`${federation.requester.url}/agreements`);
      await page.getByTestId('agreement-create').click();
      const invalid = [
        'id: agr-console-test',
        'version: 1',
        'title: 控制台测试协议',
        'parties:',
        "  - { node: '520400', role: provider }",
        "  - { node: '330000', role: requester }",
        'validity: { from: 2026-01-01, to: 2027-12-31 }',
        'items:',
        "  - { code: 就医结算备案, mode: online, steps: [{ by: '330000', step: accept, limitDays: 1 }] }",
        'datasets:',
        '  - dataset: 520400/social-insurance-enrolment',
        '    grade: secret',
        '    sharing: unconditional',
        "    grants: [{ to: '330000', items: [就医结算备案], purposes: [medical-filing], query: [name] }]",
        'security:',
        "  controller: { 520400/social-insurance-enrolment: '520400' }",
        '  retentionDays: 30',
        '  breachNoticeHours: 24',
      ].join('\n');
      await page.getByTestId('agreement-text').fill(invalid);
      await page.getByRole('button', { name: '提交' }).click();
      const issues = page.getByTestId('agreement-issues');
      await issues.waitFor();
      const text = (await issues.textContent()) ?? '';
      assert.match(text, /\/datasets\/0\/grade/);
      assert.match(text, /12/, 'the line of the bad grade is shown');
      await page.getByTestId('error-code').filter({ hasText: 'agreement_invalid' }).waitFor();
      await screenshot(page, 'agreements-import-invalid');

      await page.getByTestId('agreement-text').fill(invalid.replace('grade: secret', 'grade: general'));
      await page.getByRole('button', { name: '提交' }).click();
      await page.waitForURL(/\/agreements\/agr-console-test\?version=1$/);
      assert.equal(await page.getByTestId('agreement-state').textContent(), '草稿');

      // Lifecycle by role, each action confirmed: propose, sign here, the partner signs, activate.
      const state = page.getByTestId('agreement-state');
      await page.getByTestId('agreement-propose').click();
      await page.getByTestId('agreement-confirm').click();
      await state.filter({ hasText: '已提议' }).waitFor();
      await page.getByTestId('agreement-sign').click();
      await page.getByTestId('agreement-confirm').click();
      // A refusal shows its code, which the assertion then names.
      const signRefusal = page.getByTestId('error-code');
      await Promise.race([
        page.getByTestId('agreement-signatures').locator('tbody tr', { hasText: '330000' }).waitFor({ timeout: 45_000 }),
        signRefusal.first().waitFor({ timeout: 45_000 }),
      ]).catch(withServerView);
      if (await signRefusal.count()) assert.fail(`signing was refused: ${(await signRefusal.allTextContents()).join(', ')}`);
      assert.equal(await page.getByTestId('agreement-sign').count(), 0, 'a party signs a version once');
      await federation.bridge.provider.officer.call('POST', '/api/v1/agreements/agr-console-test/sign', {});
      await page.reload();
      await state.filter({ hasText: '已签署' }).waitFor();
      await page.getByTestId('agreement-signatures').locator('tbody tr', { hasText: '520400' }).waitFor();
      await page.getByTestId('agreement-activate').click();
      await page.getByTestId('agreement-confirm').click();
      // Activation notifies the partner before it answers, which takes a while on a loaded machine;
      // a refusal shows its code, which the assertion then names.
      const refusal = page.getByTestId('error-code');
      await Promise.race([state.filter({ hasText: '生效中' }).waitFor({ timeout: 45_000 }), refusal.first().waitFor({ timeout: 45_000 })]).catch(withServerView);
      if (await refusal.count()) assert.fail(`activation was refused: ${(await refusal.allTextContents()).join(', ')}`);
      // Suspending asks for a reason before anything is sent.
      await page.getByTestId('agreement-suspend').click();
      await page.getByTestId('agreement-confirm').click();
      await page.getByText('请填写理由，它会记入审计日志并通知其他各方。').waitFor();
      await page.locator('#agreement-action_reason').fill('核查数据质量');
      await page.getByTestId('agreement-confirm').click();
      await state.filter({ hasText: '已暂停' }).waitFor();
      await page.getByText('核查数据质量').first().waitFor();
      await screenshot(page, 'agreements-lifecycle');
    });
    await page.context().close();
  });
});
