/**
 * One browser per test file and one context and dashboard gateway per test,
 * for the dashboard's browser tests against the fake engine. Script errors
 * and CSP violations a page reports fail the test that caused them.
 */
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { startDashboard, type DashboardGateway, type StartDashboardOptions } from './dashboardHarness.js';

export interface OpenDashboardOptions {
  ownerNumber?: string;
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
  gateway?: StartDashboardOptions['gateway'];
  /** Runs on the started gateway before the page loads. */
  before?: (gw: DashboardGateway) => Promise<void>;
}

/** Registers the hooks; call inside a describe. */
export function dashboardBrowser(): (opts?: OpenDashboardOptions) => Promise<{ page: Page; gw: DashboardGateway }> {
  let browser: Browser;
  let context: BrowserContext | undefined;
  let gateway: DashboardGateway | undefined;
  const pageProblems: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    const problems = pageProblems.splice(0);
    await context?.close();
    context = undefined;
    await gateway?.close();
    gateway = undefined;
    expect(problems).toEqual([]);
  });

  return async (opts = {}) => {
    gateway = await startDashboard({ listen: true, ownerNumber: opts.ownerNumber, gateway: opts.gateway });
    await opts.before?.(gateway);
    context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 900 }, deviceScaleFactor: 1, colorScheme: opts.colorScheme });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) pageProblems.push(message.text());
    });
    await page.goto(`${gateway.baseUrl}/dashboard/`);
    return { page, gw: gateway };
  };
}
