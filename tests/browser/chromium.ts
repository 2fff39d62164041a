import { accessSync, constants } from 'node:fs';

/**
 * The Chromium every browser test drives: Debian's `chromium` package (CI installs it in
 * `.ci/run`), or `CHROMIUM_PATH`. Playwright never downloads a browser here.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Launch flags for a shared, offline CI machine: no sandbox (root in a container), no GPU, and
 * none of Chromium's own network traffic (component updates, sync, QUIC probes). Playwright
 * adds `--headless` and a fresh temporary profile (user-data-dir) on every launch.
 */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** True when {@link chromiumPath} is an executable file. */
export function chromiumAvailable(): boolean {
  try {
    accessSync(chromiumPath, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why browser tests are skipped on a machine without Chromium, and how to get them to run. */
export const chromiumMissing = `Chromium not found at ${chromiumPath}: browser tests skipped (apt-get install chromium, or set CHROMIUM_PATH)`;
