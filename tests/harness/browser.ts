import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's Chromium (`apt-get install chromium`; .ci/run installs it). Without it the browser
 * tests skip with a line; under CI=true they fail.
 */
export function requireChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true')
    throw new Error(
      `${CHROMIUM} is missing: CI must run the browser tests (apt-get install chromium)`,
    );
  console.log(
    `skipping: ${CHROMIUM} is missing (apt-get install -y chromium to run the browser tests)`,
  );
  return false;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile, nothing in the background, no network but ours.
 * `args` adds switches (e.g. `--host-resolver-rules` to reach the stack under another name).
 */
export async function launchChromium(args: string[] = []): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'fp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...args,
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
