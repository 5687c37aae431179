/**
 * Debian's chromium for the browser tests: where it is, whether it is
 * installed (the tests skip with a warning when not), and how it is launched
 * on this closed network. Screenshots go to test-artifacts/dashboard/.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.resolve('test-artifacts/dashboard');

/** True when chromium is installed; warns once per suite when it is not. */
export function chromiumAvailable(suite: string): boolean {
  const found = existsSync(CHROMIUM);
  if (!found) console.warn(`Skipping ${suite}: ${CHROMIUM} is not installed (apt-get install chromium).`);
  return found;
}

/** Headless chromium; without the background-networking flags it keeps dialling Google's hosts. */
export async function launchChromium(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
