import { type ChildProcess, spawn } from 'node:child_process';
import { type Browser, chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../chromium.js';

/** A Chromium this test started itself, so it can kill it like a crash. */
export interface ChromiumProcess {
  readonly browser: Browser;
  /** SIGKILLs the browser's whole process group and waits until the browser process is gone. */
  kill(): Promise<void>;
}

/**
 * Starts headless Chromium on profile `userDataDir` in its own process group, with DevTools on
 * a free port of 127.0.0.1, and connects Playwright to it. Playwright's own `launch` owns the
 * process and ends it gracefully; a crash test needs to kill it instead.
 */
export async function startChromium(userDataDir: string): Promise<ChromiumProcess> {
  const child: ChildProcess = spawn(
    chromiumPath,
    [
      ...chromiumArgs,
      '--headless',
      `--user-data-dir=${userDataDir}`,
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match !== null) resolve(match[1] as string);
    });
    child.once('exit', (code) =>
      reject(new Error(`chromium exited (${code}) before DevTools was up:\n${text}`)),
    );
  });
  const browser = await chromium.connectOverCDP(endpoint);
  return {
    browser,
    async kill() {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch (error) {
          // The group may be gone already (closed just before): nothing left to kill.
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      }
      await exited;
    },
  };
}
