import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Finished, Running, scratch, shoal } from './shoal-process.js';

/** Exactly one line on stderr, nothing on stdout. */
function oneLine(result: Finished): string {
  expect(result.stdout).toBe('');
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

describe('bad input: one line on stderr, a non-zero exit, nothing changed', () => {
  const { root, multicastPort, cleanup } = scratch();
  const dir = `${root}/a`;
  const net = ['--interface', '127.0.0.1', '--multicast-port', multicastPort];
  let invite = '';

  beforeAll(async () => {
    const init = await shoal(['init', '--dir', dir, '--json', ...net]);
    invite = (JSON.parse(init.stdout) as { invite: string }).invite;
    expect((await shoal(['set', 'home/settings', 'k', '1', '--dir', dir, '--wait', '0'])).code).toBe(0);
  }, 60_000);
  afterAll(cleanup);

  const config = () => readFileSync(`${dir}/config.json`, 'utf8');

  it('malformed JSON is a usage error and writes nothing', async () => {
    const before = config();
    const result = await shoal(['set', 'other/m', 'k', '{bad', '--dir', dir]);
    expect(result.code).toBe(2);
    expect(oneLine(result)).toMatch(/^shoal: VALUE is not valid JSON.*--string/);
    expect(config()).toBe(before);
    expect((await shoal(['get', 'other/m', 'k', '--dir', dir])).code).toBe(1);
  });

  it('an unknown channel is refused, in JSON with --json', async () => {
    const result = await shoal(['list', 'nope/m', '--dir', dir, '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(oneLine(result))).toEqual({
      error: {
        code: 'UNKNOWN_CHANNEL',
        message: 'unknown channel "nope": this node never used it (known: home)',
      },
    });
  });

  it('a missing key, a bad target and an unknown option', async () => {
    expect(oneLine(await shoal(['get', 'home/settings', 'absent', '--dir', dir]))).toBe(
      'shoal: no key "absent" in home/settings',
    );
    const target = await shoal(['get', 'home', 'k', '--dir', dir]);
    expect(target.code).toBe(2);
    expect(oneLine(target)).toBe('shoal: expected CHANNEL/MAP, got "home"');
    const option = await shoal(['tail', 'home/chat', '-n', 'ten', '--dir', dir]);
    expect(option.code).toBe(2);
    oneLine(option);
    const command = await shoal(['frobnicate']);
    expect(command.code).toBe(2);
    oneLine(command);
  });

  it('a bad invite creates no data dir', async () => {
    const result = await shoal(['join', invite.slice(0, -3), '--dir', `${root}/b`]);
    expect(result.code).toBe(2);
    expect(oneLine(result)).toMatch(/^shoal: invalid invite token/);
    expect(existsSync(`${root}/b`)).toBe(false);
  });

  it("another network's invite does not replace the data dir's own", async () => {
    const other = await shoal(['init', '--dir', `${root}/c`, '--json']);
    const foreign = (JSON.parse(other.stdout) as { invite: string }).invite;
    const result = await shoal(['join', foreign, '--dir', dir]);
    expect(result.code).toBe(1);
    expect(oneLine(result)).toMatch(/already belongs to network "shoal"/);
    expect(readFileSync(`${dir}/invite`, 'utf8').trim()).toBe(invite);
    expect(oneLine(await shoal(['init', '--dir', dir]))).toMatch(/already belongs to a network/);
  });

  it('a data dir in use by another shoal process', async () => {
    const watch = new Running(['watch', 'home/settings', '--dir', dir]);
    try {
      // The standalone watch holds the store: wait for the lock file it takes.
      await watch.waitFor(() => existsSync(`${dir}/store/shoal.lock`), 'the watch to lock the store');
      const result = await shoal(['get', 'home/settings', 'k', '--dir', dir]);
      expect(result.code).toBe(1);
      expect(oneLine(result)).toMatch(/is in use by process \d+, another shoal command/);
    } finally {
      await watch.stop();
    }
  });

  it('a control socket left by a killed agent: the command runs without an agent', async () => {
    const socket = `${dir}/control.sock`;
    // A process that listens on the socket path and dies without cleaning up, as a crashed agent.
    const listener = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`,
    ]);
    await new Promise<void>((resolve) => listener.stdout.once('data', () => resolve()));
    listener.kill('SIGKILL');
    await new Promise((resolve) => listener.once('close', resolve));
    const result = await shoal(['set', 'home/settings', 'k', '2', '--dir', dir, '--wait', '0.2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/set k/);
    expect(result.stdout).toMatch(/no agent running/);
    const read = await shoal(['get', 'home/settings', 'k', '--dir', dir]);
    expect(read.stdout.trim()).toBe('2');
  });
});
