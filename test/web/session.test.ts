/**
 * An expired or revoked session never costs a person their half-filled form: the console asks
 * them to log in again over the page and then sends the request it was holding.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { browserSkip, consoleOverrides, launchBrowser, logInThroughConsole, newPage, screenshot } from '../support/browser.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';

const skip = browserSkip();

describe('console: an expired session keeps the form', { skip }, () => {
  let node: TestNode;
  let browser: Browser;
  const steward = { username: 'steward', password: 'Tongban-Data-2026-x9q' };
  before(async () => {
    node = await startTestNode({ code: '330000', name: '浙江省', overrides: consoleOverrides() });
    const created = await node.call('POST', '/api/v1/accounts', {
      token: await node.adminToken(),
      body: { username: steward.username, displayName: '数据管理员', roles: ['steward'], password: steward.password },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.close();
  });

  test('the session is revoked while a dataset form is open; after logging in again the same submission goes through', async () => {
    const page = await newPage(browser);
    await logInThroughConsole(page, node.url, steward);
    await page.goto(`${node.url}/catalog`);
    await page.getByTestId('register-dataset').click();
    await page.locator('#register-dataset_name').fill('职工体检记录');
    await page.locator('#register-dataset_id').fill('staff-checkups');
    await page.locator('#register-dataset_code').fill('3-01-002-0001');
    await page.locator('#register-dataset_abstract').fill('职工年度体检结果，按公民身份号码登记。');
    await page.locator('#register-dataset_items_0_name').fill('idNumber');
    await page.locator('#register-dataset_keyFields').fill('idNumber');
    await page.locator('#register-dataset_keyFields').press('Enter');
    await page.keyboard.press('Escape');

    // The session ends behind the page's back (an administrator revoked it, or it timed out).
    const token = (await page.evaluate("sessionStorage.getItem('tongban.session')")) as string | null;
    assert.ok(token);
    const logout = await node.call('POST', '/api/v1/auth/logout', { token });
    assert.equal(logout.status, 204, JSON.stringify(logout.body));

    await page.getByRole('button', { name: '提交' }).click();
    await page.locator('#reauth_username').waitFor();
    await screenshot(page, 'session-relogin');
    assert.equal(await page.locator('#register-dataset_name').inputValue(), '职工体检记录', 'the form is still filled in');
    assert.equal(await page.locator('#reauth_username').inputValue(), steward.username, 'the same person logs in again');
    await page.locator('#reauth_password').fill(steward.password);
    await page.locator('form#reauth button[type=submit]').click();
    await page.waitForURL(/\/catalog\/330000\/staff-checkups$/);
    assert.equal(await page.getByTestId('dataset-name').textContent(), '职工体检记录');

    const datasets = await node.call('GET', '/api/v1/catalog/datasets', { token: await node.adminToken() });
    assert.equal(datasets.status, 200);
    await page.context().close();
  });
});
