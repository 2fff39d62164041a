import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOAL_BIN, scratch, shoal } from './shoal-process.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('skipping the shoal repl tests: tmux is not installed (apt-get install tmux)');

// The REPL driven like a person would: keys sent to a real terminal (tmux), assertions on
// what the screen shows.
describe.skipIf(!hasTmux)('shoal repl in a terminal', () => {
  const { root, multicastPort, cleanup } = scratch();
  const dir = `${root}/a`;
  const server = `shoal-cli-test-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', server, ...args], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', 'repl');

  async function waitForScreen(pattern: RegExp, what: string): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const shown = screen();
      if (pattern.test(shown)) return shown;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; the screen shows:\n${shown}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    await shoal(['init', '--dir', dir, '--interface', '127.0.0.1', '--multicast-port', multicastPort]);
    const command = `NO_COLOR=1 ${process.execPath} ${SHOAL_BIN} repl --dir ${dir} --channel home --map settings`;
    tmux('new-session', '-d', '-s', 'repl', '-x', '160', '-y', '40', command);
    await waitForScreen(/^shoal>\s*$/m, 'the prompt');
  }, 60_000);

  afterAll(() => {
    spawnSync('tmux', ['-L', server, 'kill-server']);
    cleanup();
  });

  it('binds the map; top-level await works', async () => {
    tmux('send-keys', '-t', 'repl', 'await map.set("lights", { on: true })', 'Enter');
    tmux('send-keys', '-t', 'repl', 'JSON.stringify(map.get("lights"))', 'Enter');
    await waitForScreen(/^'\{"on":true\}'$/m, 'the value read back');
  });

  it('Tab completes key and channel names', async () => {
    tmux('send-keys', '-t', 'repl', 'map.get("li', 'Tab');
    await waitForScreen(/shoal> map\.get\("lights$/m, 'the key completed');
    tmux('send-keys', '-t', 'repl', 'C-u', 'node.channel("ho', 'Tab');
    await waitForScreen(/shoal> node\.channel\("home$/m, 'the channel completed');
    tmux('send-keys', '-t', 'repl', 'C-u');
  });

  it('shows a failed call as one line, awaited or not, and changes nothing', async () => {
    tmux('send-keys', '-t', 'repl', 'C-l', 'map.set(undefined, 1)', 'Enter');
    await waitForScreen(
      /Uncaught ShoalError INVALID_ARGUMENT: map key must be a string, got undefined$/m,
      'the error',
    );
    tmux('send-keys', '-t', 'repl', 'await map.delete(42)', 'Enter');
    const shown = await waitForScreen(
      /Uncaught ShoalError INVALID_ARGUMENT: map key must be a string, got number$/m,
      'the awaited error',
    );
    expect(shown).toMatch(/^Promise \{ <rejected> \}$/m);
    expect(shown).not.toMatch(/\s+at /);
    tmux('send-keys', '-t', 'repl', 'map.size', 'Enter');
    await waitForScreen(/^1$/m, 'the map unchanged');
  });

  it('.watch prints a change made by another shoal command, live', async () => {
    tmux('send-keys', '-t', 'repl', '.watch lights', 'Enter');
    await waitForScreen(/watching lights of settings/, 'the watch to start');
    // The REPL serves the control socket, so this one-shot goes through its node.
    const set = await shoal(['set', 'home/settings', 'lights', '7', '--dir', dir]);
    expect(set.code).toBe(0);
    await waitForScreen(/\[watch\] lights = 7 \(by [0-9a-f]+\)/, 'the change on screen');
  });

  it('keeps a history file in the data dir', async () => {
    tmux('send-keys', '-t', 'repl', 'C-d');
    const deadline = Date.now() + 20_000;
    while (spawnSync('tmux', ['-L', server, 'has-session', '-t', 'repl']).status === 0) {
      if (Date.now() > deadline) throw new Error('the repl did not exit on Ctrl-D');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(readFileSync(`${dir}/repl_history`, 'utf8')).toContain('await map.set("lights", { on: true })');
  });
});
