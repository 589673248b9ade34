import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { browserSkip, consoleOverrides, launchBrowser, logInThroughConsole, newPage, screenshot } from '../support/browser.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

const skip = browserSkip();

describe('console: "who used my data" for a citizen', { skip }, () => {
  let federation: TestFederation;
  let browser: Browser;
  let person: { idNumber: string };
  before(async () => {
    federation = await startTestFederation({ overrides: consoleOverrides() });
    person = federation.bridge.people[4]!;
    const caseworker = federation.bridge.requester.caseworker;
    // 浙江 asks 安顺 about the person twice: a query and a verify.
    const base = {
      to: '520400',
      agreement: federation.bridge.agreement,
      item: '就医结算备案',
      purpose: 'medical-filing',
      dataset: '520400/social-insurance-enrolment',
      key: { idNumber: person.idNumber },
    };
    await caseworker.call('POST', '/api/v1/exchange/requests', { ...base, op: 'query', fields: ['name', 'insuredStatus'] });
    await caseworker.call('POST', '/api/v1/exchange/requests', { ...base, op: 'verify', predicate: { field: 'isInsured', equals: 'true' } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await federation?.close();
  });

  test('with the token from the link and their ID number, the person sees each access without operator ids', async () => {
    const { token } = await federation.bridge.requester.caseworker.call<{ token: string }>('POST', '/api/v1/audit/citizen-tokens', { idNumber: person.idNumber });
    const page = await newPage(browser);
    await page.goto(`${federation.requester.url}/my-data?token=${encodeURIComponent(token)}`);
    await page.locator('form#citizen').waitFor();
    await page.waitForURL((url) => !url.search.includes('token'));
    assert.equal(await page.locator('#citizen_token').inputValue(), token);

    // Validation before sending.
    await page.locator('#citizen_idNumber').fill('12345');
    await page.getByTestId('citizen-submit').click();
    await page.getByText('公民身份号码应为 18 位').waitFor();

    await page.locator('#citizen_idNumber').fill(person.idNumber);
    await page.getByTestId('citizen-submit').click();
    const table = page.getByTestId('citizen-accesses');
    await table.waitFor();
    const rows = table.locator('tbody tr.ant-table-row');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    const text = (await table.textContent()) ?? '';
    assert.ok(text.includes('就医结算备案') && text.includes('medical-filing'), text);
    assert.ok(text.includes('浙江省') && text.includes('贵州省安顺市'), `node names from the directory: ${text}`);
    assert.ok(text.includes('insuredStatus'), 'the fields used');
    assert.ok(text.includes('仅核验记录是否存在') || text.includes('isInsured'), 'the verify is listed');
    const whole = (await page.locator('body').textContent()) ?? '';
    assert.ok(!whole.includes('staff:'), 'no operator ids');
    assert.ok(!page.url().includes(person.idNumber), 'the ID number never goes into the address');
    await screenshot(page, 'citizen-accesses');
    await page.context().close();
  });

  test("a token for someone else is refused next to the token field with the code's message", async () => {
    const other = federation.bridge.people[5]!;
    const { token } = await federation.bridge.requester.caseworker.call<{ token: string }>('POST', '/api/v1/audit/citizen-tokens', { idNumber: other.idNumber });
    const page = await newPage(browser);
    await page.goto(`${federation.requester.url}/my-data`);
    await page.locator('#citizen_token').fill(token);
    await page.locator('#citizen_idNumber').fill(person.idNumber);
    await page.getByTestId('citizen-submit').click();
    await page.getByText('查询凭证无效').waitFor();
    assert.equal(await page.getByTestId('citizen-results').count(), 0);
    await page.context().close();
  });

  test('a caseworker issues the token at the counter; the person opens the link and sees the accesses', async () => {
    const page = await newPage(browser);
    const caseworker = federation.bridge.requester.credentials.caseworker!;
    await logInThroughConsole(page, federation.requester.url, { username: caseworker.username, password: caseworker.password });
    await page.goto(`${federation.requester.url}/exchange`);
    const card = page.getByTestId('citizen-token-card');
    await card.waitFor();
    const input = card.locator('#citizenToken_idNumber');

    // GB 11643 is checked before anything is sent: a wrong check character is refused by the form.
    const last = person.idNumber.slice(-1);
    const wrong = person.idNumber.slice(0, 17) + (last === '0' ? '1' : '0');
    await input.fill(wrong);
    await card.getByTestId('citizen-token-issue').click();
    await card.getByText('公民身份号码校验码不符').waitFor();
    await input.fill('5204001990');
    await card.getByText('公民身份号码应为 18 位').waitFor();
    assert.equal(await card.getByTestId('citizen-token-issued').count(), 0, 'nothing issued for a bad number');

    await input.fill(person.idNumber);
    await card.getByTestId('citizen-token-issue').click();
    const issued = card.getByTestId('citizen-token-issued');
    await issued.waitFor();
    const link = (await card.getByTestId('citizen-token-link').textContent()) ?? '';
    assert.ok(link.startsWith(`${federation.requester.url}/my-data?token=`), link);
    assert.ok(!link.includes(person.idNumber), 'the link carries the token, not the ID number');
    assert.equal(await input.inputValue(), '', 'the ID number is cleared once the token is issued');
    const expiry = (await card.getByTestId('citizen-token-expiry').locator('time').getAttribute('datetime')) ?? '';
    assert.ok(Date.parse(expiry) > Date.now(), `the expiry is in the future (${expiry})`);
    await screenshot(page, 'citizen-token-issued');

    // "Open" starts the person's page in a new tab with the token filled in.
    const [mine] = await Promise.all([page.context().waitForEvent('page'), card.getByTestId('citizen-token-open').click()]);
    await mine.locator('form#citizen').waitFor();
    await mine.waitForURL((url) => url.pathname === '/my-data' && !url.search.includes('token'));
    assert.ok((await mine.locator('#citizen_token').inputValue()).length > 20, 'the token came from the link');
    await mine.locator('#citizen_idNumber').fill(person.idNumber);
    await mine.getByTestId('citizen-submit').click();
    const rows = mine.getByTestId('citizen-accesses').locator('tbody tr.ant-table-row');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    const text = (await mine.getByTestId('citizen-accesses').textContent()) ?? '';
    assert.ok(text.includes('就医结算备案') && text.includes('浙江省'), text);
    await screenshot(mine, 'citizen-from-counter');
    await page.context().close();
  });
});
