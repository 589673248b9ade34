import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, consoleOverrides, launchBrowser, logInThroughConsole, newPage, screenshot, unusedTotp } from '../support/browser.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';

const skip = browserSkip();

describe('console: audit verification view (auditor with a second factor)', { skip }, () => {
  let federation: TestFederation;
  let browser: Browser;
  let page: Page;
  let exchangeId: string;
  before(async () => {
    federation = await startTestFederation({ overrides: consoleOverrides() });
    // An exchange to prove, a checkpoint covering it, and the provider witnessing that checkpoint.
    const answer = await federation.bridge.requester.caseworker.call<{ id: string }>('POST', '/api/v1/exchange/requests', {
      to: '520400',
      op: 'verify',
      agreement: federation.bridge.agreement,
      item: '就医结算备案',
      purpose: 'medical-filing',
      dataset: '520400/social-insurance-enrolment',
      key: { idNumber: federation.bridge.people[0]!.idNumber },
      predicate: { field: 'isInsured', equals: 'true' },
    });
    exchangeId = answer.id;
    await federation.admins.requester.call('POST', '/api/v1/audit/checkpoints', {});
    const witnessed = await federation.admins.provider.call<{ results: { node: string; status: string }[] }>('POST', '/api/v1/audit/witness', {});
    assert.ok(
      witnessed.results.some((result) => result.node === '330000' && (result.status === 'witnessed' || result.status === 'current')),
      `the provider witnesses the requester's log: ${JSON.stringify(witnessed.results)}`,
    );
    browser = await launchBrowser();
    page = await newPage(browser);
    const auditor = federation.requesterAuditor;
    // The federation's set-up logged the auditor in with the current code, so skip to the next one.
    const secret = auditor.totpSecret!;
    await unusedTotp(secret);
    await logInThroughConsole(page, federation.requester.url, { username: auditor.username, password: auditor.password, totp: () => unusedTotp(secret) });
  });
  after(async () => {
    await browser?.close();
    await federation?.close();
  });

  test('the auditor verifies the whole log on demand; the run is recorded and shown on the next visit', async () => {
    await page.goto(`${federation.requester.url}/audit`);
    await page.getByText('尚未有人校验过本节点的审计日志').waitFor();
    await page.getByTestId('audit-verify').click();
    await page.getByTestId('audit-verification-status').filter({ hasText: '审计日志完整，未发现篡改' }).waitFor();
    await page.reload();
    await page.getByTestId('audit-verification-status').filter({ hasText: '审计日志完整，未发现篡改' }).waitFor();
    const recorded = await federation.requester.running.node.events.list({ type: 'audit.verified', limit: 10 });
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0]!.outcome, 'success');
    assert.match(recorded[0]!.actor ?? '', /^staff:/);
  });

  test('checkpoints list who witnessed them', async () => {
    await page.goto(`${federation.requester.url}/audit`);
    const checkpoints = page.getByTestId('audit-checkpoints');
    await checkpoints.getByTestId('checkpoint-witnesses').filter({ hasText: '520400' }).first().waitFor();
    await checkpoints.locator('button.ant-table-row-expand-icon').first().click();
    await page.getByTestId('checkpoint-note').first().waitFor();
    assert.match((await page.getByTestId('checkpoint-note').first().textContent()) ?? '', /^\S+\n\d+\n[A-Za-z0-9+/=]+\n/);
    await screenshot(page, 'audit-verification');
  });

  test("an exchange's inclusion proof is looked up by its request id and verified in the browser", async () => {
    await page.goto(`${federation.requester.url}/audit`);
    await page.getByText('交换请求编号', { exact: true }).click();
    await page.locator('#proof_value').fill(exchangeId);
    await page.getByTestId('proof-lookup').click();
    await page.getByTestId('proof-status').filter({ hasText: '已在浏览器中验证（RFC 9162，SHA-256）' }).waitFor();
    for (const step of ['leaf', 'path', 'checkpointRoot', 'checkpointSize']) {
      assert.equal(await page.getByTestId(`proof-step-${step}`).getAttribute('data-result'), 'pass', step);
    }
    await page.getByTestId('proof-result').getByText('exchange.requested', { exact: true }).waitFor();
    await screenshot(page, 'audit-inclusion-proof');
  });

  test('any event of the (server-paginated) log can be proved from the list; a proof that does not match is shown as failed', async () => {
    await page.goto(`${federation.requester.url}/audit`);
    const events = page.getByTestId('audit-events');
    await events.locator('tbody tr.ant-table-row').first().waitFor();
    // The newest page is shown first; its first row is the latest event.
    const size = await federation.requester.running.node.events.size();
    await events.getByTestId(`prove-${size - 1}`).waitFor();
    await events.getByTestId('prove-3').count();
    await page.locator('.ant-pagination-item').last().click();
    await events.getByTestId('prove-0').click();
    await page.getByTestId('proof-status').filter({ hasText: '已在浏览器中验证' }).waitFor();
    assert.equal(await page.getByTestId('proof-step-path').getAttribute('data-result'), 'pass');

    // The same proof with a tampered sibling must fail in the browser.
    await page.route('**/api/v1/audit/proofs/inclusion**', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { proof: string[] };
      body.proof = body.proof.map((hash, index) => (index === 0 ? Buffer.alloc(32, 7).toString('base64') : hash));
      await route.fulfill({ response, json: body });
    });
    await page.locator('#proof_value').fill('0');
    await page.getByTestId('proof-lookup').click();
    await page.getByTestId('proof-status').filter({ hasText: '浏览器验证未通过' }).waitFor();
    assert.equal(await page.getByTestId('proof-step-path').getAttribute('data-result'), 'fail');
    await page.unroute('**/api/v1/audit/proofs/inclusion**');

    // An event whose content was altered no longer hashes to its leaf.
    await page.route('**/api/v1/events?**', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { events: { details: Record<string, unknown> }[] };
      for (const event of body.events) event.details = { ...event.details, altered: true };
      await route.fulfill({ response, json: body });
    });
    await page.getByTestId('proof-lookup').click();
    await page.getByTestId('proof-status').filter({ hasText: '浏览器验证未通过' }).waitFor();
    assert.equal(await page.getByTestId('proof-step-leaf').getAttribute('data-result'), 'fail');
    assert.equal(await page.getByTestId('proof-step-path').getAttribute('data-result'), 'pass');
    await page.unroute('**/api/v1/events?**');
  });

  test('the exchange screen tells an auditor that requests are for caseworkers, instead of failing', async () => {
    await page.goto(`${federation.requester.url}/exchange`);
    await page.getByTestId('exchange-not-permitted').waitFor();
    assert.equal(await page.locator('form#exchange').count(), 0);
  });

  test('the verification route needs the audit permission and refuses a caseworker', async () => {
    const response = await federation.requester.call('POST', '/api/v1/audit/verification', { token: federation.bridge.requester.caseworker.token });
    assert.equal(response.status, 403);
  });
});

describe('console: audit view of an SM-suite node (administrator)', { skip }, () => {
  let node: TestNode;
  let browser: Browser;
  before(async () => {
    node = await startTestNode({ code: '310000', name: '上海市', suite: 'sm', overrides: consoleOverrides() });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.close();
  });

  test('the administrator signs a checkpoint; an SM3 proof is marked as verified by the server, not by the browser', async () => {
    const page = await newPage(browser);
    await logInThroughConsole(page, node.url, { username: node.init.admin.username, password: node.init.admin.password, totp: () => unusedTotp(node.init.admin.secondFactor.secret) });
    await page.goto(`${node.url}/audit`);
    // Administrators configure the node but do not review audit results.
    await page.getByTestId('audit-verification-restricted').waitFor();
    assert.equal(await page.getByTestId('audit-verify').count(), 0);
    await page.getByTestId('checkpoint-sign').click();
    await page.getByTestId('audit-checkpoints').locator('tbody tr.ant-table-row').first().waitFor();
    await page.locator('#proof_value').fill('0');
    await page.getByTestId('proof-lookup').click();
    await page.getByTestId('proof-status').filter({ hasText: '由服务器验证（国密 SM3 套件' }).waitFor();
    assert.equal(await page.getByTestId('proof-step-path').count(), 0, 'no browser steps claimed for SM3');
    await screenshot(page, 'audit-sm-admin');
    await page.context().close();
  });
});
