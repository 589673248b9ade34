import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, consoleOverrides, launchBrowser, logInThroughConsole, newPage, screenshot, tick, unusedTotp } from '../support/browser.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';

const skip = browserSkip();

describe('console: accounts (administrator)', { skip }, () => {
  let node: TestNode;
  let browser: Browser;
  let page: Page;
  before(async () => {
    node = await startTestNode({ code: '330000', name: '浙江省', overrides: consoleOverrides() });
    browser = await launchBrowser();
    page = await newPage(browser);
    await logInThroughConsole(page, node.url, { username: node.init.admin.username, password: node.init.admin.password, totp: () => unusedTotp(node.init.admin.secondFactor.secret) });
  });
  after(async () => {
    await browser?.close();
    await node?.close();
  });

  const dialog = () => page.getByRole('dialog');

  test('creating a caseworker: a weak password and a duty-separation refusal appear next to their fields, then the account works', async () => {
    await page.goto(`${node.url}/accounts`);
    await page.getByTestId('accounts-table').getByText(node.init.admin.username, { exact: true }).waitFor();
    await screenshot(page, 'accounts-list');

    await page.getByTestId('account-create').click();
    // Nothing is sent until the form is filled in.
    await page.getByTestId('account-create-submit').click();
    await page.locator('#create-account_username_help').waitFor();

    await page.locator('#create-account_username').fill('wangfang');
    await page.locator('#create-account_displayName').fill('王芳');
    await tick(dialog().getByRole('checkbox', { name: '业务经办人' }));
    await page.locator('#create-account_password').fill('short');
    await page.locator('#create-account_passwordConfirm').fill('short');
    await page.getByTestId('account-create-submit').click();
    const passwordHelp = page.locator('#create-account_password_help');
    await passwordHelp.getByText('密码强度不足', { exact: false }).waitFor();
    assert.match((await passwordHelp.textContent()) ?? '', /密码长度不足/);

    const password = 'Quzhou-Window-2026!';
    await page.locator('#create-account_password').fill(password);
    await page.locator('#create-account_passwordConfirm').fill(password);
    await tick(dialog().getByRole('checkbox', { name: '系统管理员' }));
    await page.getByTestId('account-create-submit').click();
    const rolesHelp = page.locator('#create-account_roles_help');
    await rolesHelp.getByText('三员分立', { exact: false }).waitFor();
    await screenshot(page, 'accounts-duty-separation');

    await dialog().getByRole('checkbox', { name: '系统管理员' }).uncheck();
    await page.getByTestId('account-create-submit').click();
    await page.getByTestId('accounts-table').getByText('wangfang', { exact: true }).waitFor();
    await dialog().waitFor({ state: 'detached' }).catch(() => undefined);

    // The account is real: it logs in with the password given in the console, as a caseworker only.
    const login = await node.call('POST', '/api/v1/auth/login', { body: { username: 'wangfang', password } });
    assert.equal(login.status, 200);
    assert.deepEqual((login.body.account as { roles: string[] }).roles, ['caseworker']);
  });

  test("an auditor's authenticator secret is shown once and logs the auditor in; disabling an account stops its logins", async () => {
    await page.getByTestId('account-create').click();
    await page.locator('#create-account_username').fill('li.shenji');
    await page.locator('#create-account_displayName').fill('李审计');
    await tick(dialog().getByRole('checkbox', { name: '安全审计员' }));
    const password = 'Audit-Review-2026!';
    await page.locator('#create-account_password').fill(password);
    await page.locator('#create-account_passwordConfirm').fill(password);
    await page.getByTestId('account-create-submit').click();
    await page.getByTestId('one-time-secret').waitFor();
    const secret = ((await page.getByTestId('secret-value').textContent()) ?? '').trim();
    assert.match(secret, /^[A-Z2-7]{16,}$/);
    await page.waitForTimeout(400); // the dialog finishes opening before the screenshot
    await screenshot(page, 'accounts-one-time-secret');
    await page.getByTestId('secret-close').click();
    await page.getByTestId('one-time-secret').waitFor({ state: 'detached' });

    const login = await node.call('POST', '/api/v1/auth/login', { body: { username: 'li.shenji', password, totp: await unusedTotp(secret) } });
    assert.equal(login.status, 200, JSON.stringify(login.body));

    await page.getByTestId('account-disable-wangfang').click();
    await page.getByRole('tooltip').getByRole('button', { name: '停用' }).click();
    await page.getByTestId('account-enable-wangfang').waitFor();
    const refused = await node.call('POST', '/api/v1/auth/login', { body: { username: 'wangfang', password: 'Quzhou-Window-2026!' } });
    assert.equal(refused.body.code, 'account_disabled');

    // A forgotten password: the administrator sets a new one; the old one stops working.
    await page.getByTestId('account-password-li.shenji').click();
    await page.locator('#reset-password_password').fill('Audit-Review-2027#');
    await page.locator('#reset-password_passwordConfirm').fill('Audit-Review-2027#');
    await dialog().getByRole('button', { name: '保存' }).click();
    await dialog().waitFor({ state: 'detached' });
    const old = await node.call('POST', '/api/v1/auth/login', { body: { username: 'li.shenji', password } });
    assert.equal(old.body.code, 'login_failed');
    const renewed = await node.call('POST', '/api/v1/auth/login', { body: { username: 'li.shenji', password: 'Audit-Review-2027#', totp: await unusedTotp(secret) } });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
  });

  test('an API token is created with its secret shown once, works, and stops working when revoked', async () => {
    await page.getByRole('tab', { name: '接口令牌' }).click();
    await page.getByTestId('token-create').click();
    await page.locator('#create-token_name').fill('社保业务系统');
    // Administrator and auditor roles are not offered to tokens.
    assert.equal(await dialog().getByRole('checkbox', { name: '系统管理员' }).isDisabled(), true);
    await tick(dialog().getByRole('checkbox', { name: '数据管理员' }));
    await dialog().getByRole('button', { name: '提交' }).click();
    await page.getByTestId('one-time-secret').waitFor();
    const secret = ((await page.getByTestId('secret-value').textContent()) ?? '').trim();
    await page.waitForTimeout(400); // the dialog finishes opening before the screenshot
    await screenshot(page, 'accounts-token-secret');
    await page.getByTestId('secret-close').click();

    const me = await node.call('GET', '/api/v1/auth/me', { token: secret });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body.roles, ['steward']);

    const row = page.getByTestId('tokens-table').locator('tr', { hasText: '社保业务系统' });
    await row.getByRole('button', { name: '吊销' }).click();
    await page.getByRole('tooltip').getByRole('button', { name: '吊销' }).click();
    await row.getByText('已吊销').waitFor();
    await screenshot(page, 'accounts-tokens');
    const after = await node.call('GET', '/api/v1/auth/me', { token: secret });
    assert.equal(after.status, 401);
  });

  test('the screen reads in English too', async () => {
    await page.getByText('EN', { exact: true }).click();
    await page.getByRole('tab', { name: 'Staff accounts' }).click();
    await page.getByTestId('accounts-table').getByRole('columnheader', { name: 'Second factor' }).waitFor();
    await screenshot(page, 'accounts-en');
    await page.getByText('中文', { exact: true }).click();
    await page.getByRole('tab', { name: '工作人员账号' }).waitFor();
  });
});
