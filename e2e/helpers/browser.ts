import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

/** Debian's Chromium binary (runtime-notes §11); tests never download a browser. */
export const chromiumPath = process.env.BERTH_TEST_CHROMIUM ?? '/usr/lib/chromium/chromium';

export interface ConsoleProblem {
  text: string;
  url: string;
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  problems: ConsoleProblem[];
  /** Where screenshots go; kept after the test so people can look at them. */
  shotsDir: string;
  screenshot(name: string, width: number, height: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile and the quiet flags (no background traffic, no
 * component updates), one page, and a collector of console errors.
 */
export async function openBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'berth-e2e-profile-'));
  const shotsDir = mkdtempSync(path.join(tmpdir(), 'berth-e2e-shots-'));
  mkdirSync(shotsDir, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1366, height: 768 },
    locale: 'en-US',
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: ConsoleProblem[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') problems.push({ text: msg.text(), url: msg.location().url });
  });
  page.on('pageerror', (err) => problems.push({ text: `uncaught: ${err.message}`, url: '' }));
  return {
    context,
    page,
    problems,
    shotsDir,
    async screenshot(name, width, height) {
      await page.setViewportSize({ width, height });
      // Let tables and charts re-lay out after the resize.
      await page.waitForTimeout(300);
      const file = path.join(shotsDir, `${name}-${width}x${height}.png`);
      await page.screenshot({ path: file, fullPage: false });
      return file;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Browsers log every non-2xx response as a console error. The test expects a few (the session
 * check before login, the deliberately invalid create); only those are tolerated, by URL and status.
 * Also tolerated: `net::ERR_NETWORK_CHANGED`, which Chromium logs when Podman adds or removes a
 * container's network interface on this host while a request is open (the portal's queries retry).
 */
export function unexpectedProblems(
  problems: ConsoleProblem[],
  /** `urlEnds`: the path ends so; `urlUnder`: the path is that one or below it. */
  expected: Array<({ urlEnds: string } | { urlUnder: string }) & { status: number }>,
): ConsoleProblem[] {
  return problems.filter((p) => {
    const url = p.url.split('?')[0]!;
    return (
      !p.text.includes('net::ERR_NETWORK_CHANGED') &&
      !expected.some(
        (e) =>
          ('urlEnds' in e
            ? url.endsWith(e.urlEnds)
            : url.endsWith(e.urlUnder) || url.includes(`${e.urlUnder}/`)) &&
          p.text.includes(`Failed to load resource: the server responded with a status of ${e.status}`),
      )
    );
  });
}

/** Opens the antd select at `selector` and clicks the option whose whole text is `label`. */
export async function pickOption(page: Page, selector: string, label: string): Promise<void> {
  await page.locator(selector).click();
  await page
    .locator('.ant-select-dropdown:visible .ant-select-item-option')
    .filter({ hasText: new RegExp(`^${label}$`) })
    .click();
}
