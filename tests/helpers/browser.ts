import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Chromium for the end-to-end journeys: the system browser (CHROMIUM_PATH or
 * /usr/bin/chromium), with everything that would reach the network on its own turned off.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}
