/**
 * The preamble the browser tests share: a real Berth, whatever the suite seeds into it, and a
 * headless Chromium page; a running service to look at; logging in through the login page;
 * reading a field's error.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import {
  makeProject,
  startPlatform,
  waitTask,
  webSpec,
  type TestApi,
  type TestPlatform,
} from '../../packages/server/test/helpers/platform.ts';
import { openBrowser, type TestBrowser } from './browser.ts';

export interface PortalSession<P> {
  platform: P;
  browser: TestBrowser;
  page: Page;
}

export interface PortalSessionOptions<P> {
  /** Starts the platform; by default `startPlatform(server)`. */
  start?: () => Promise<P>;
  /** The server's settings when `start` is not given. */
  server?: Record<string, string>;
  /** Projects to create once the platform is up (each with its team `team-<project>`). */
  projects?: string[];
  /** Runs once the platform is up, after `projects`, before the browser opens (users, services…). */
  seed?: (platform: P) => Promise<void>;
  /** Runs after the browser closed and before the platform closes (helpers the seed started). */
  teardown?: (platform: P) => Promise<void>;
  /** The page's default timeout for actions and waits (30 s unless given). */
  pageTimeoutMs?: number;
}

/**
 * Registers the suite's `before` (platform, seed, browser) and `after` (browser, teardown, then
 * platform closed); `ready` receives them once they are up, so the suite keeps plain variables. Call it
 * inside `describe`, before the suite's own hooks.
 */
export function portalSession<P extends { api: TestApi; close(): Promise<void> } = TestPlatform>(
  opts: PortalSessionOptions<P>,
  ready: (session: PortalSession<P>) => void,
): void {
  let platform: P | undefined;
  let browser: TestBrowser | undefined;
  before(async () => {
    platform = opts.start ? await opts.start() : ((await startPlatform(opts.server ?? {})) as unknown as P);
    for (const project of opts.projects ?? []) await makeProject(platform.api, project);
    await opts.seed?.(platform);
    browser = await openBrowser();
    browser.page.setDefaultTimeout(opts.pageTimeoutMs ?? 30_000);
    ready({ platform, browser, page: browser.page });
  });
  // A failed test says what the page showed: an element that never came is otherwise all we hear.
  afterEach(async (t) => {
    if (!browser || !('passed' in t) || t.passed) return;
    console.log(await pageState(browser));
  });
  after(async () => {
    await browser?.close();
    if (platform) await opts.teardown?.(platform);
    await platform?.close();
  });
}

/**
 * Where the page is and what it shows (its first lines of text), the console errors so far and
 * a screenshot — each given at most 5 s, since the page may be what hangs.
 */
export async function pageState(browser: TestBrowser): Promise<string> {
  const { page } = browser;
  const within = <T>(what: Promise<T>): Promise<T | string> =>
    Promise.race([
      what.catch(
        (err: unknown) => `(failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
      ),
      new Promise<string>((r) => setTimeout(() => r('(no answer within 5 s)'), 5000).unref()),
    ]);
  const text = await within(page.innerText('body', { timeout: 5000 }).then((t) => t.slice(0, 400)));
  const shot = await within(
    page.screenshot({ path: `${browser.shotsDir}/failed-${Date.now()}.png` }).then(() => 'saved'),
  );
  return [
    `page at the failure: ${page.url()}`,
    `  text: ${JSON.stringify(text)}`,
    `  console errors: ${JSON.stringify(browser.problems.slice(-5))}`,
    `  screenshot: ${shot === 'saved' ? browser.shotsDir : shot}`,
  ].join('\n');
}

/**
 * Logs in through the portal's login page and waits to land on `landed`. `button` is the submit
 * button's accessible name (`Log in`), or `submit` to click the form's submit button whatever
 * its language.
 */
export async function logIn(
  page: Page,
  url: string,
  user: string,
  password: string,
  { landed = /\/p\//, button = 'Log in' }: { landed?: RegExp; button?: 'Log in' | 'submit' } = {},
): Promise<void> {
  await page.goto(`${url}/login`);
  await page.fill('#login-username', user);
  await page.fill('#login-password', password);
  if (button === 'submit') await page.locator('button[type="submit"]').click();
  else await page.getByRole('button', { name: button }).click();
  await page.waitForURL(landed);
}

function errorsOf(page: Page, selector: string) {
  return page
    .locator('.ant-form-item')
    .filter({ has: page.locator(selector) })
    .locator('.ant-form-item-explain-error');
}

/** The (first) error antd shows under the form item that holds `selector`, once it shows. */
export async function fieldError(page: Page, selector: string): Promise<string> {
  const errors = errorsOf(page, selector);
  await errors.first().waitFor();
  return errors.first().innerText();
}

/** Every error antd shows under the form item that holds `selector`, one a line, once one shows. */
export async function fieldErrors(page: Page, selector: string): Promise<string> {
  const errors = errorsOf(page, selector);
  await errors.first().waitFor();
  return (await errors.allInnerTexts()).join('\n');
}

/**
 * Creates project `project` (as `makeProject` does) with a service `web` of one busybox replica,
 * and waits until it runs; returns the project's services path in env `test`.
 */
export async function seedWebService(api: TestApi, project: string): Promise<string> {
  const base = await makeProject(api, project);
  const created = await api.post<{ task: { id: string } }>(base, { name: 'web', spec: webSpec('v1', 1) });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  assert.equal((await waitTask(api, created.body.task.id)).state, 'succeeded');
  return base;
}

/**
 * Closes an open drawer with its close button, as a person does. A toast ("Role granted.") can
 * lie over that button, and antd keeps a toast open while the pointer rests on it: a click
 * retried at the button's place would hold it there for ever. So the pointer moves away first
 * and the toasts end (3 s) before the click.
 */
export async function closeDrawer(
  page: Page,
  drawer: Locator = page.locator('.ant-drawer-open'),
): Promise<void> {
  const height = page.viewportSize()?.height ?? 720;
  await page.mouse.move(1, height - 2);
  // (a locator, not waitForFunction: the portal's CSP forbids evaluating strings)
  await page.locator('.ant-message-notice').first().waitFor({ state: 'detached', timeout: 15_000 });
  await drawer.locator('.ant-drawer-close').first().click();
  await drawer.waitFor({ state: 'hidden' });
}
