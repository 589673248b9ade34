import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, consoleOverrides, launchBrowser, logInThroughConsole, newPage, screenshot } from '../support/browser.ts';
import { socialInsuranceCsv } from '../../src/demo/federation-setup.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

const skip = browserSkip();

describe('console: data quality drill-down (steward on 520400)', { skip }, () => {
  let federation: TestFederation;
  let browser: Browser;
  let page: Page;
  const duplicated: string[] = [];
  before(async () => {
    federation = await startTestFederation({ overrides: consoleOverrides(), people: 40 });
    // Hand-entered history: three people enrolled a second time under the same ID number.
    const rows = federation.bridge.people.slice(0, 3).map((person) => {
      duplicated.push(person.idNumber);
      return [person.idNumber, person.name, person.sex, person.birthDate, 'lapsed', '2019-07-01', 'false'].join(',');
    });
    const csv = `idNumber,name,sex,birthDate,insuredStatus,insuredSince,isInsured\n${rows.join('\n')}\n`;
    const imported = await federation.bridge.provider.steward.call<{ rowsImported: number }>(
      'POST',
      '/api/v1/catalog/datasets/520400/social-insurance-enrolment/import?mode=append',
      csv,
      'text/csv',
    );
    assert.equal(imported.rowsImported, 3, 'the duplicate rows were imported');
    browser = await launchBrowser();
    page = await newPage(browser);
    const steward = federation.bridge.provider.credentials.steward!;
    await logInThroughConsole(page, federation.provider.url, { username: steward.username, password: steward.password });
  });
  after(async () => {
    await browser?.close();
    await federation?.close();
  });

  test('the steward runs a check, sees the scores, opens the failing rule and sees masked samples', async () => {
    await page.goto(`${federation.provider.url}/quality`);
    await page.getByTestId('quality-datasets').getByText('社会保险参保登记信息').waitFor();
    // The steward checked the datasets before they were shared (the agreement sets a quality floor).
    await page.getByTestId('quality-datasets').getByText('100.0').first().waitFor();
    await screenshot(page, 'quality-list-before');

    await page.getByTestId('quality-open-social-insurance-enrolment').click();
    await page.getByTestId('quality-dataset-name').getByText('社会保险参保登记信息').waitFor();

    // Two more runs after the duplicates arrived; the trend shows every run.
    await page.getByTestId('quality-run-now').click();
    await page.getByTestId('quality-overall').waitFor();
    await page.getByTestId('quality-run-now').click();
    await page.getByTestId('quality-trend').waitFor();

    const overall = Number((await page.getByTestId('quality-overall').textContent())?.replace(/,/g, ''));
    assert.ok(overall > 0 && overall < 100, `a dataset with duplicate ID numbers scores below 100 (got ${overall})`);
    const uniqueness = (await page.getByTestId('quality-dimension-uniqueness').textContent()) ?? '';
    assert.match(uniqueness, /唯一性/);

    const rules = page.getByTestId('quality-rules');
    const failing = rules.locator('tr', { hasText: 'idNumber unique' });
    await failing.getByText('未通过').waitFor();
    // Six rows share their ID number with another row: the three originals and their duplicates.
    assert.equal(await failing.getByTestId('rule-failed').textContent(), '6');
    await screenshot(page, 'quality-dataset');

    await failing.getByRole('button', { name: '查看样本' }).click();
    const samples = page.getByTestId('samples-table');
    await samples.waitFor();
    await page.getByTestId('samples-drawer').waitFor();
    const text = (await samples.textContent()) ?? '';
    for (const id of duplicated) {
      assert.ok(!text.includes(id), 'no whole ID number appears in the samples');
      assert.ok(text.includes(`${id.slice(0, 6)}************`), `the sample shows ${id.slice(0, 6)} followed by masks`);
    }
    await page.waitForTimeout(500); // let the drawer finish sliding in for the screenshot
    await screenshot(page, 'quality-samples');
    await page.keyboard.press('Escape');

    // The API agrees with what the screen showed.
    const score = await federation.bridge.provider.steward.call<{ latest: { scores: { overall: number } }; trend: unknown[] }>('GET', '/api/v1/quality/datasets/520400/social-insurance-enrolment/score');
    assert.equal(score.trend.length, 3, 'the steward\'s check at set-up and the two runs here');
    assert.equal(Math.round(score.latest.scores.overall * 10) / 10, overall);

    await page.goto(`${federation.provider.url}/quality`);
    await page.getByTestId('quality-datasets').locator('tr', { hasText: '社会保险参保登记信息' }).getByText('未通过').waitFor();
    await screenshot(page, 'quality-list');
  });

  test('the steward opens a remediation task from the failed rule, assigns and fixes it, and a passing re-run verifies it', async () => {
    await page.goto(`${federation.provider.url}/quality/520400/social-insurance-enrolment`);
    const failing = page.getByTestId('quality-rules').locator('tr', { hasText: 'idNumber unique' });
    await failing.getByRole('button', { name: '发起整改' }).click();
    await page.locator('#open-task_assignee').fill('steward');
    await page.getByTestId('task-open-submit').click();
    const tasks = page.getByTestId('remediation-tasks');
    const task = tasks.locator('tr', { hasText: 'idNumber unique' });
    await task.getByText('已指派').waitFor();

    await task.getByRole('button', { name: '标记已修复' }).click();
    await page.locator('#task-change_note').fill('已删除重复登记的 3 条记录');
    await page.getByTestId('task-change-submit').click();
    await task.getByText('已修复').waitFor();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await screenshot(page, 'quality-remediation');

    // The data is fixed at the source: the register is re-imported without the duplicates.
    await federation.bridge.provider.steward.call('POST', '/api/v1/catalog/datasets/520400/social-insurance-enrolment/import?mode=replace', socialInsuranceCsv(federation.bridge.people), 'text/csv');
    await page.getByTestId('quality-run-now').click();
    await page.getByTestId('quality-overall').getByText('100.0').waitFor();
    await page.getByRole('tab', { name: '整改任务' }).click();
    await task.getByText('已验证').waitFor();

    const stored = await federation.bridge.provider.steward.call<{ tasks: { state: string; note: string | null; assignee: string | null }[] }>('GET', '/api/v1/quality/tasks?dataset=520400/social-insurance-enrolment');
    assert.equal(stored.tasks.length, 1);
    assert.equal(stored.tasks[0]!.state, 'verified');
    assert.equal(stored.tasks[0]!.assignee, 'steward');
    await screenshot(page, 'quality-remediation-verified');
  });

  test('the steward maps the ID number to the GB 11643 data element; the next run checks its validity', async () => {
    await page.goto(`${federation.provider.url}/quality/520400/social-insurance-enrolment`);
    await page.getByRole('tab', { name: '标准符合性' }).click();
    const fields = page.getByTestId('conformance-fields');
    const idRow = fields.locator('tr', { hasText: 'idNumber' });
    await idRow.getByText('数据元未知').waitFor();
    await screenshot(page, 'quality-conformance-before');

    await idRow.getByTestId('conformance-element-idNumber').click();
    await page.keyboard.type('GB11643');
    await page.keyboard.press('Enter');
    await page.getByTestId('conformance-save').click();
    await idRow.getByText('符合', { exact: true }).waitFor();
    await screenshot(page, 'quality-conformance');

    await page.getByTestId('quality-run-now').click();
    await page.getByTestId('quality-rules').locator('tr', { hasText: 'idNumber is a valid' }).getByText('通过').waitFor();
    const mapped = await federation.bridge.provider.steward.call<{ items: { name: string; dataElement?: string }[] }>('GET', '/api/v1/catalog/datasets/520400/social-insurance-enrolment');
    assert.equal(mapped.items.find((item) => item.name === 'idNumber')?.dataElement, 'GB11643.citizen-id');
  });

  test("a partner's agreements officer sees the provider's published score in the federation catalogue", async () => {
    const listed = await federation.bridge.requester.officer.call<{ datasets: { id: string; provider: string; quality?: { overall: number | null } }[] }>('GET', '/api/v1/catalog/search?provider=520400');
    const published = listed.datasets.find((dataset) => dataset.id.endsWith('social-insurance-enrolment'));
    assert.ok(published?.quality, `the provider published its score: ${JSON.stringify(listed.datasets.map((dataset) => [dataset.id, dataset.quality]))}`);

    const officerPage = await newPage(browser);
    const officer = federation.bridge.requester.credentials.agreements!;
    await logInThroughConsole(officerPage, federation.requester.url, { username: officer.username, password: officer.password });
    await officerPage.goto(`${federation.requester.url}/quality`);
    await officerPage.getByRole('tab', { name: '联邦发布的评分' }).click();
    const row = officerPage.getByTestId('quality-federation').locator('tr', { hasText: '社会保险参保登记信息' });
    await row.getByTitle(published.quality.overall === null ? '—' : published.quality.overall.toFixed(1)).waitFor();
    await screenshot(officerPage, 'quality-federation');
    await officerPage.context().close();
  });

  test('an agreements officer reads the scores but cannot run checks: no run button, and the API refuses with forbidden', async () => {
    const officerPage = await newPage(browser);
    const officer = federation.bridge.provider.credentials.agreements!;
    await logInThroughConsole(officerPage, federation.provider.url, { username: officer.username, password: officer.password });
    await officerPage.goto(`${federation.provider.url}/quality/520400/social-insurance-enrolment`);
    await officerPage.getByTestId('quality-overall').waitFor();
    assert.equal(await officerPage.getByTestId('quality-run-now').count(), 0);
    await officerPage.context().close();
    const response = await federation.provider.call('POST', '/api/v1/quality/datasets/520400/social-insurance-enrolment/runs', { token: federation.bridge.provider.officer.token, body: {} });
    assert.equal(response.status, 403);
    assert.equal(response.body.code, 'forbidden');
  });
});
