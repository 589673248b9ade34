import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { browserSkip, consoleOverrides, launchBrowser, logInThroughConsole, newPage, screenshot, unusedTotp } from '../support/browser.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';

const skip = browserSkip();

describe('console: login, second factor, language', { skip }, () => {
  let node: TestNode;
  let browser: Browser;
  before(async () => {
    node = await startTestNode({ code: '330000', name: '浙江省', overrides: consoleOverrides() });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.close();
  });

  test('an administrator needs the one-time code; a wrong code is refused with its translated message and code', async () => {
    const page = await newPage(browser);
    await page.goto(`${node.url}/federation`);
    await page.waitForURL(/\/login$/);
    await screenshot(page, 'login');
    await page.locator('#login_username').fill(node.init.admin.username);
    await page.locator('#login_password').fill(node.init.admin.password);
    await page.locator('form#login button[type=submit]').click();
    await page.locator('#login_totp').waitFor();
    const code = await unusedTotp(node.init.admin.secondFactor.secret);
    await page.locator('#login_totp').fill(code === '000000' ? '111111' : '000000');
    await page.locator('form#login button[type=submit]').click();
    await page.getByTestId('error-code').filter({ hasText: 'second_factor_invalid' }).waitFor();
    await page.locator('#login_totp').fill(code);
    await page.locator('form#login button[type=submit]').click();
    await page.getByTestId('node-name').waitFor();
    assert.equal(await page.getByTestId('node-name').textContent(), '浙江省');
    assert.match(page.url(), /\/federation$/);
    await page.context().close();
  });

  test('a wrong password is refused without revealing which part was wrong; the language switches to English and stays', async () => {
    const page = await newPage(browser);
    await page.goto(`${node.url}/login`);
    await page.locator('#login_username').fill(node.init.admin.username);
    await page.locator('#login_password').fill('not-the-password');
    await page.locator('form#login button[type=submit]').click();
    await page.getByTestId('error-code').filter({ hasText: 'login_failed' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    assert.ok(await page.getByRole('button', { name: '登录' }).isVisible());
    await page.getByText('EN', { exact: true }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.context().close();
  });

  test('the console animates its controls unless the person has asked their system for reduced motion', async () => {
    const durationOf = async (motion: boolean): Promise<string> => {
      const page = await newPage(browser, { motion });
      await page.goto(`${node.url}/login`);
      const button = page.locator('form#login button[type=submit]');
      await button.waitFor();
      // The submit button's transitions run for antd's motion durations, or not at all.
      const duration = await button.evaluate((element) => (globalThis as unknown as { getComputedStyle: (element: unknown) => { transitionDuration: string } }).getComputedStyle(element).transitionDuration);
      await page.context().close();
      return duration;
    };
    assert.match(await durationOf(true), /[1-9]/, 'with no preference the controls animate');
    assert.match(await durationOf(false), /^0s(, 0s)*$/, 'with reduced motion nothing animates');
  });

  test('the node serves the console for client routes but keeps API 404s as JSON errors', async () => {
    const html = await fetch(`${node.url}/agreements/some-id`);
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    assert.match(html.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const api = await fetch(`${node.url}/api/v1/nothing-here`);
    assert.equal(api.status, 404);
    assert.equal(((await api.json()) as { code: string }).code, 'route_not_found');
    const asset = await fetch(`${node.url}/missing-file.js`);
    assert.equal(asset.status, 404);
  });

  test('logInThroughConsole helper works for later suites', async () => {
    const page = await newPage(browser, { language: 'en' });
    await logInThroughConsole(page, node.url, { username: node.init.admin.username, password: node.init.admin.password, totp: () => unusedTotp(node.init.admin.secondFactor.secret) });
    await screenshot(page, 'federation-empty');
    await page.context().close();
  });
});
