import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Coordinator, createInvite, generateSecret } from '@shoal/core';
import { openNode } from '@shoal/node';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumAvailable, chromiumMissing, chromiumPath } from '../chromium.js';
import { freePort } from './free-port.js';

// Set SHOAL_SCREENSHOTS=1 to refresh the screenshot in docs/; otherwise it goes to tmp.
const SCREENSHOT = process.env.SHOAL_SCREENSHOTS
  ? fileURLToPath(new URL('../../../docs/screenshots/dashboard.png', import.meta.url))
  : join(tmpdir(), `shoal-dashboard-${process.pid}.png`);

// The dashboard of a three-node cluster (real UDP nodes on 127.0.0.1, the `local` timing
// profile) in headless Chromium, read as a person would: the member rows and their state
// badges. A node is killed (its transport closed without a goodbye) and the page must show it
// suspect, then dead, within the failure-detection time.
describe.skipIf(!chromiumAvailable())('the dashboard in headless Chromium', () => {
  const nodes: Coordinator[] = [];
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    await Promise.all(nodes.map((node) => node.dispose({ leave: false }).catch(() => {})));
  }, 30_000);

  it('shows the members, then a killed node turning suspect and dead', async () => {
    const secret = createInvite({ networkId: 'dashboard', secret: generateSecret() });
    const multicastPort = 40_000 + Math.floor(Math.random() * 20_000);
    const httpPort = await freePort();
    const udp = {
      host: '127.0.0.1',
      interface: '127.0.0.1',
      multicast: { port: multicastPort, interface: '127.0.0.1' },
      announceIntervalMs: 200,
    };
    for (const name of ['alpha', 'bravo', 'charlie']) {
      nodes.push(
        await openNode({
          id: `${name}-${process.pid}`,
          secret,
          udp,
          profile: 'local',
          ...(name === 'alpha' ? { http: { port: httpPort } } : {}),
        }),
      );
    }
    const [alpha, bravo, charlie] = nodes as [Coordinator, Coordinator, Coordinator];
    for (const node of nodes) await (await node.channel('home')).map('lights').set(node.id, { on: true });

    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${httpPort}/`);
    const stateOf = (id: string) =>
      page.locator('#members tbody tr', { hasText: id }).locator('.badge').textContent({ timeout: 1000 });
    const waitForState = async (id: string, state: string, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while ((await stateOf(id).catch(() => null)) !== state) {
        if (Date.now() > deadline) throw new Error(`the dashboard never showed ${id} ${state}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    for (const node of nodes) await waitForState(node.id, 'alive', 20_000);
    await page.locator('#channels tbody tr', { hasText: 'home' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#leader').textContent()).toContain('leader');

    // Some traffic for the charts, then the kill.
    for (let i = 0; i < 20; i++)
      await (await bravo.channel('home')).map('lights').set(`lamp-${i}`, { on: i % 2 === 0 });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const killedAt = Date.now();
    await charlie.dispose({ leave: false });
    await waitForState(charlie.id, 'suspect', 15_000);
    const suspectAfter = Date.now() - killedAt;
    await waitForState(charlie.id, 'dead', 30_000);
    const deadAfter = Date.now() - killedAt;
    console.log(
      `dashboard: ${charlie.id} shown suspect ${suspectAfter} ms and dead ${deadAfter} ms after the kill`,
    );
    await page.locator('#feed li[data-type="dead"]').first().waitFor({ timeout: 5_000 });
    expect(await stateOf(alpha.id)).toBe('alive');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
  }, 120_000);
});

if (!chromiumAvailable()) it.skip(chromiumMissing, () => {});
