import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, consoleOverrides, launchBrowser, logInThroughConsole, newPage, screenshot } from '../support/browser.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

const skip = browserSkip();

describe('console: resource catalogue', { skip }, () => {
  let federation: TestFederation;
  let browser: Browser;
  before(async () => {
    federation = await startTestFederation({ overrides: consoleOverrides(), people: 30 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await federation?.close();
  });

  async function stewardPage(): Promise<Page> {
    const page = await newPage(browser);
    await logInThroughConsole(page, federation.provider.url, federation.bridge.provider.credentials.steward!);
    return page;
  }

  test("the provider's steward sees its datasets with row counts and publishes the catalogue to the hub", async () => {
    const page = await stewardPage();
    await page.goto(`${federation.provider.url}/catalog`);
    const own = page.getByTestId('own-datasets');
    const row = own.locator('tbody tr', { hasText: '社会保险参保登记信息' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /无条件共享/);
    assert.match((await row.textContent()) ?? '', /一般数据/);
    assert.match((await row.textContent()) ?? '', /30/, 'the row count of the imported people');
    await own.locator('tbody tr', { hasText: '户籍登记信息' }).filter({ hasText: '有条件共享' }).waitFor();
    // Server-side search narrows the list.
    await page.getByTestId('own-search').locator('input').fill('户籍');
    await page.getByTestId('own-search').locator('input').press('Enter');
    await own.locator('tbody tr', { hasText: '社会保险参保登记信息' }).waitFor({ state: 'detached' });
    await page.getByTestId('publish').click();
    await page.getByTestId('publication-state').filter({ hasText: '已发布到枢纽' }).waitFor();
    await screenshot(page, 'catalog-own');
    await page.context().close();
  });

  test('the steward orders the catalogue by a column header, and the server does the ordering', async () => {
    const page = await stewardPage();
    await page.goto(`${federation.provider.url}/catalog`);
    const own = page.getByTestId('own-datasets');
    const names = async () => (await own.locator('tbody tr [data-testid="dataset-link"]').allTextContents()).filter(Boolean);
    await own.locator('tbody tr', { hasText: '社会保险参保登记信息' }).waitFor();
    const sortedBy = (sort: string | null) =>
      page.waitForResponse((response) => response.url().includes('/api/v1/catalog/datasets?') && new URL(response.url()).searchParams.get('sort') === sort);
    const header = own.locator('thead th', { hasText: '资源名称' });
    // 户 (U+6237) comes before 社 (U+793E).
    let answered = sortedBy('name');
    await header.click();
    await answered;
    await own.getByTestId('dataset-link').first().filter({ hasText: '户籍登记信息' }).waitFor();
    assert.deepEqual(await names(), ['户籍登记信息', '社会保险参保登记信息']);
    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    answered = sortedBy('-name');
    await header.click();
    await answered;
    await own.getByTestId('dataset-link').first().filter({ hasText: '社会保险参保登记信息' }).waitFor();
    assert.deepEqual(await names(), ['社会保险参保登记信息', '户籍登记信息']);
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    // A third click goes back to the server's default order (by id), and the request names no sort.
    answered = sortedBy(null);
    await header.click();
    await answered;
    assert.equal(await header.getAttribute('aria-sort'), null);
    await page.context().close();
  });

  test("a partner's caseworker finds the provider's dataset in the federation catalogue and reads its metadata", async () => {
    await federation.bridge.provider.steward.call('POST', '/api/v1/catalog/publication');
    const page = await newPage(browser);
    await logInThroughConsole(page, federation.requester.url, federation.bridge.requester.credentials.caseworker!);
    await page.goto(`${federation.requester.url}/catalog?tab=federation`);
    const search = page.getByTestId('federation-search').locator('input');
    await search.fill('社会保险');
    // The list keeps showing the unsearched results until the search answers, so wait for that answer.
    const searched = page.waitForResponse((response) => response.url().includes('/api/v1/catalog/search') && new URL(response.url()).searchParams.get('q') === '社会保险');
    await search.press('Enter');
    await searched;
    const table = page.getByTestId('federation-datasets');
    // The search words narrow the results.
    await table.locator('tbody tr', { hasText: '户籍登记信息' }).waitFor({ state: 'detached' });
    const row = table.locator('tbody tr', { hasText: '社会保险参保登记信息' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /520400/);
    assert.equal(await table.locator('tbody tr', { hasText: '户籍登记信息' }).count(), 0, 'the search words narrow the results');
    await screenshot(page, 'catalog-federation-search');
    await row.getByTestId('dataset-link').click();
    await page.waitForURL(/\/catalog\/520400\/social-insurance-enrolment$/);
    assert.equal(await page.getByTestId('dataset-name').textContent(), '社会保险参保登记信息');
    const metadata = (await page.getByTestId('dataset-metadata').textContent()) ?? '';
    for (const text of ['2-05-001-0001', '人力资源和社会保障局（520400）', '无条件共享', '每日', '一般数据']) assert.ok(metadata.includes(text), `metadata shows ${text}`);
    await page.getByText('公民身份号码').waitFor();
    await screenshot(page, 'catalog-dataset-partner');
    await page.context().close();
  });

  test('a steward registers a dataset (server field errors next to the field) and imports a CSV with a per-row error report', async () => {
    const page = await stewardPage();
    await page.goto(`${federation.provider.url}/catalog`);
    await page.getByTestId('register-dataset').click();
    // Checked before sending.
    await page.getByRole('button', { name: '提交' }).click();
    await page.getByText('请填写资源名称。').waitFor();
    await page.locator('#register-dataset_name').fill('职工体检记录');
    await page.locator('#register-dataset_id').fill('staff-checkups');
    await page.locator('#register-dataset_code').fill('3-01-002-0001');
    await page.locator('#register-dataset_abstract').fill('职工年度体检结果，按公民身份号码登记。');
    await page.locator('#register-dataset_items_0_name').fill('idNumber');
    await page.getByRole('button', { name: '添加信息项' }).click();
    await page.locator('#register-dataset_items_1_name').fill('score');
    await page.locator('#register-dataset_items_1_type').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '整数' }).click();
    await page.getByRole('button', { name: '添加信息项' }).click();
    await page.locator('#register-dataset_items_2_name').fill('Score');
    await page.locator('#register-dataset_keyFields').fill('idNumber');
    await page.locator('#register-dataset_keyFields').press('Enter');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: '提交' }).click();
    // The server refuses the case-folded duplicate; its message sits under items[2].name.
    await page.getByTestId('error-code').filter({ hasText: 'invalid_input' }).waitFor();
    await page.locator('#register-dataset_items_2_name_help').getByText(/repeats items\[1\]\.name/).waitFor();
    await screenshot(page, 'catalog-register-field-error');
    await page.locator('#register-dataset_items_2_name').fill('visitedOn');
    await page.getByRole('button', { name: '提交' }).click();
    await page.waitForURL(/\/catalog\/520400\/staff-checkups$/);
    assert.equal(await page.getByTestId('dataset-name').textContent(), '职工体检记录');

    const csv = ['idNumber,score,visitedOn', '110101199003070011,90,2026-01-02', '110101199003070022,ninety,2026-01-03', '110101199003070033,75,2026-01-04', ''].join('\n');
    const panel = page.getByTestId('import-panel');
    await panel.locator('input[type=file]').setInputFiles({ name: 'checkups.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByTestId('import-dry-run').click();
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-result').getByText('试运行完成（未写入数据）').waitFor();
    assert.equal(await page.getByTestId('rows-imported').textContent(), '2');
    assert.equal(await page.getByTestId('rows-rejected').textContent(), '1');
    assert.equal(await page.getByTestId('dataset-rows').textContent(), '—', 'a dry run writes nothing');
    await page.getByTestId('import-dry-run').click();
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-result').getByText('导入完成').waitFor();
    const report = page.getByTestId('row-errors').locator('tbody tr', { hasText: 'score' });
    await report.waitFor();
    assert.match((await report.textContent()) ?? '', /3/);
    await page.getByTestId('dataset-rows').filter({ hasText: '2' }).waitFor();
    await page.getByTestId('import-result').scrollIntoViewIfNeeded();
    await screenshot(page, 'catalog-import');
    await page.context().close();
  });
});
