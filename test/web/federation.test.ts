import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { browserSkip, consoleOverrides, launchBrowser, logInThroughConsole, newPage, screenshot, unusedTotp } from '../support/browser.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';
import { signJws } from '../../src/crypto/jws.ts';
import { integrityAlertType } from '../../src/directory/index.ts';

const skip = browserSkip();

describe('console: federation', { skip }, () => {
  let federation: TestFederation;
  let browser: Browser;
  const applicants: TestNode[] = [];
  before(async () => {
    federation = await startTestFederation({ overrides: consoleOverrides(), people: 10 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    for (const node of applicants) await node.close();
    await federation?.close();
  });

  test('a member sees its directory version and every member with level, status, endpoint and keys', async () => {
    const page = await newPage(browser);
    await logInThroughConsole(page, federation.requester.url, federation.bridge.requester.credentials.caseworker!);
    await page.goto(`${federation.requester.url}/federation`);
    const table = page.getByTestId('members-table');
    for (const [code, name] of [['100000', '国家枢纽'], ['520400', '贵州省安顺市'], ['330000', '浙江省']] as const) {
      await table.locator('tbody tr', { hasText: code }).filter({ hasText: name }).waitFor();
    }
    assert.equal(await page.getByTestId('directory-state').textContent(), '目录有效');
    assert.match((await page.getByTestId('directory-version').textContent()) ?? '', /^\d+$/);
    const provider = table.locator('tbody tr', { hasText: '520400' });
    assert.match((await provider.textContent()) ?? '', /地市级/);
    assert.match((await provider.textContent()) ?? '', /正常/);
    assert.match((await provider.textContent()) ?? '', /http:\/\/127\.0\.0\.1:\d+/);
    // The keys, with their validity, open under the row.
    await provider.getByRole('button').first().click();
    await table.getByText('520400#', { exact: false }).first().waitFor();
    await table.getByText('有效', { exact: true }).first().waitFor();
    // A caseworker may not sync; the button is not offered.
    assert.equal(await page.getByTestId('directory-sync').count(), 0);
    await screenshot(page, 'federation-members');
    await page.context().close();
  });

  test('the hub administrator sees decided applications, integrity alerts per member, and syncs the directory', async () => {
    // A witness (浙江省) reports that 贵州省安顺市's log forked: signed with its real key, sent to the hub.
    const witness = federation.requester.running.node;
    const alert = signJws(
      {
        type: integrityAlertType,
        id: 'alert-console-test',
        node: '520400',
        witness: '330000',
        kind: 'fork',
        message: 'checkpoint 12 does not extend checkpoint 10 held by 330000',
        evidence: { held: { size: 10 }, served: { size: 12 } },
        detectedAt: new Date().toISOString(),
      },
      await witness.keyring.signer(),
    );
    const posted = await fetch(`${federation.hub.url}/api/v1/directory/integrity-alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alert) });
    assert.ok(posted.ok, `the hub took the alert (HTTP ${posted.status})`);

    const page = await newPage(browser);
    const admin = federation.hub.init.admin;
    await logInThroughConsole(page, federation.hub.url, { username: admin.username, password: admin.password, totp: () => unusedTotp(admin.secondFactor.secret) });
    await page.goto(`${federation.hub.url}/federation`);
    const applications = page.getByTestId('applications');
    await applications.waitFor();
    await applications.getByText('暂无入网申请。').waitFor();
    await applications.getByText('已批准', { exact: true }).first().click();
    await applications.locator('tbody tr', { hasText: '520400' }).waitFor();
    await applications.locator('tbody tr', { hasText: '330000' }).waitFor();
    await page.getByTestId('alerts-520400').click();
    await page.getByText('checkpoint 12 does not extend checkpoint 10 held by 330000').waitFor();
    await page.locator('.ant-drawer').getByText('fork', { exact: true }).waitFor();
    await screenshot(page, 'federation-integrity-alerts');
    await page.keyboard.press('Escape');
    assert.equal(await page.getByTestId('alerts-330000').count(), 0, 'members without alerts show none');
    // Two more nodes apply: the administrator admits one and turns the other down with a reason.
    for (const [code, name] of [['310000', '上海市'], ['320000', '江苏省']] as const) {
      const node = await startTestNode({ code, name, level: 'province', overrides: consoleOverrides() });
      applicants.push(node);
      const applied = await node.call('POST', '/api/v1/directory/join', { token: await node.adminToken(), body: { hub: federation.hub.url } });
      assert.ok(applied.status < 300, `${code} applied (HTTP ${applied.status})`);
    }
    await applications.getByText('待审批', { exact: true }).first().click();
    const shanghai = applications.locator('tbody tr', { hasText: '310000' });
    await shanghai.waitFor();
    await screenshot(page, 'federation-applications');
    await shanghai.getByRole('button', { name: '批准' }).click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await page.getByText('已批准 310000 入网').waitFor();
    await page.getByTestId('members-table').locator('tbody tr', { hasText: '310000' }).filter({ hasText: '上海市' }).waitFor();
    const jiangsu = applications.locator('tbody tr', { hasText: '320000' });
    await jiangsu.getByRole('button', { name: '驳回' }).click();
    await page.locator('.ant-modal').getByRole('button', { name: '驳回' }).click();
    await page.getByText('请填写驳回理由，申请方会看到它。').waitFor();
    await page.locator('#reject-application_reason').fill('请先完成等保测评');
    await page.locator('.ant-modal').getByRole('button', { name: '驳回' }).click();
    await page.getByText('已驳回 320000 的申请').waitFor();
    await applications.getByText('已驳回', { exact: true }).first().click();
    await applications.locator('tbody tr', { hasText: '320000' }).filter({ hasText: '请先完成等保测评' }).waitFor();

    await page.getByTestId('directory-sync').click();
    await page.getByText(/同步完成，目录版本 \d+/).waitFor();
    await page.getByTestId('members-table').locator('tbody tr', { hasText: '330000' }).waitFor();
    await screenshot(page, 'federation-hub');
    await page.context().close();
  });
});
