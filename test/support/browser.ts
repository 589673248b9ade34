/**
 * Browser tests: playwright-core driving Debian's Chromium (never a downloaded browser). Without
 * /usr/bin/chromium the suites say so and skip; with CI set they fail instead, because CI installs it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const chromiumPath = process.env.TONGBAN_CHROMIUM ?? '/usr/bin/chromium';
export const screenshotDir = join(process.cwd(), 'test-output', 'screenshots');
const ci = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

/** `false` when browser tests run; otherwise the reason they are skipped (node:test `skip`). */
export function browserSkip(): string | false {
  if (existsSync(chromiumPath)) return false;
  if (ci) throw new Error(`Chromium is required in CI but ${chromiumPath} is missing; .ci/run installs it with apt-get.`);
  return `browser tests skipped: ${chromiumPath} not found (apt-get install chromium)`;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Running as root in a container needs --no-sandbox; the rest keeps Chromium off the network.
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/**
 * A page in a fresh context. Pages ask for reduced motion unless `motion` is set: the console then
 * shows and hides its dialogs without animation, so a click never lands on a dialog that is still
 * fading in or out (under load a confirmation clicked then was lost).
 */
export async function newPage(browser: Browser, options: { language?: 'zh-CN' | 'en'; timezoneId?: string; motion?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({
    locale: options.language ?? 'zh-CN',
    timezoneId: options.timezoneId ?? 'Asia/Shanghai',
    viewport: { width: 1366, height: 860 },
    reducedMotion: options.motion ? 'no-preference' : 'reduce',
  });
  if (process.env.TEST_BROWSER_TRACE) {
    // Where each click's events landed: a click whose mouseup lands elsewhere fires no click.
    // A string, so the test compiler's helpers stay out of the page.
    await context.addInitScript(`
      const describe = (target) => target && target.tagName
        ? target.tagName.toLowerCase() + '[' + (target.getAttribute('data-testid') || target.getAttribute('class') || '') + '] "' + (target.textContent || '').slice(0, 20) + '"'
        : String(target);
      for (const type of ['pointerdown', 'mousedown', 'mouseup', 'click']) {
        document.addEventListener(type, (event) => console.warn('[event] ' + performance.now().toFixed(0) + ' ' + type + ' ' + describe(event.target)), true);
      }
    `);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  // When a step times out, these say whether the console's call failed on the wire or on the server.
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? 'failed';
    if (failure !== 'net::ERR_ABORTED') console.error(`[browser] ${request.method()} ${request.url()} failed: ${failure}`);
  });
  const trace = !!process.env.TEST_BROWSER_TRACE;
  if (trace) {
    page.on('request', (request) => {
      if (request.method() !== 'GET') console.error(`[browser] ${new Date().toISOString()} ${request.method()} ${request.url()} sent`);
    });
    page.on('console', (entry) => {
      if (entry.type() === 'error' || entry.type() === 'warning') console.error(`[browser] console ${entry.type()}: ${entry.text()}`);
    });
  }
  page.on('response', (response) => {
    if (trace && response.request().method() !== 'GET') console.error(`[browser] ${new Date().toISOString()} ${response.request().method()} ${response.url()} -> ${response.status()}`);
    if (response.status() >= 500) console.error(`[browser] ${response.request().method()} ${response.url()} answered HTTP ${response.status()}`);
  });
  page.on('pageerror', (error) => console.error(`[browser] page error: ${error.message}`));
  return page;
}

/** Saves a full-page screenshot under test-output/screenshots for reviewers (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Logs in through the console's form; `totp` is asked for only when the server requires it. */
export async function logInThroughConsole(page: Page, baseUrl: string, user: { username: string; password: string; totp?: () => string | Promise<string> }): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.locator('#login_username').fill(user.username);
  await page.locator('#login_password').fill(user.password);
  await page.locator('form#login button[type=submit]').click();
  if (user.totp) {
    await page.locator('#login_totp').waitFor();
    await page.locator('#login_totp').fill(await user.totp());
    await page.locator('form#login button[type=submit]').click();
  }
  await page.getByTestId('node-name').waitFor();
}

export { unusedTotp } from './nodes.ts';

/**
 * Node settings for browser suites: TEST_CONSOLE_DIR points nodes at a console built elsewhere,
 * so a developer can test a private build while dist/console is being rebuilt.
 */
export function consoleOverrides(): Record<string, string> {
  return process.env.TEST_CONSOLE_DIR ? { 'http.consoleDir': process.env.TEST_CONSOLE_DIR } : {};
}

/**
 * Ticks a checkbox and waits until it shows as ticked. Playwright's `check()` looks once, right
 * after its click; under load the form inside a dialog that has just opened may re-render first
 * and the look comes too early, so this clicks again only if the box is still clear after a while.
 */
export async function tick(box: Locator): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!(await box.isChecked())) await box.click();
    for (let waited = 0; waited < 2_000; waited += 100) {
      if (await box.isChecked()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('the checkbox stays clear after three clicks');
}

/**
 * Runs the steps of a browser test; when one fails, saves a screenshot and the open dialogs'
 * markup beside the error, so a failure seen only in CI can be read afterwards.
 */
export async function withFailureRecord<T>(page: Page, name: string, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (error) {
    await screenshot(page, `${name}-failed`).catch(() => undefined);
    const dialogs = await page
      .locator('.ant-modal-wrap')
      .evaluateAll((wraps) =>
        wraps.map((wrap) => {
          // The project compiles without the DOM library; these are the element's fields read here.
          const element = wrap as unknown as { style: { display: string }; className: string; innerHTML: string };
          return `${element.style.display || 'shown'} ${element.className}: ${element.innerHTML.slice(0, 4000)}`;
        }),
      )
      .catch((cause: unknown) => [String(cause)]);
    console.error(`[browser] ${name} failed at ${new Date().toISOString()}; dialogs:\n${dialogs.join('\n')}`);
    throw error;
  }
}
