import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('skipping the README tour test: tmux is not installed (apt-get install tmux)');

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(`${ROOT}README.md`, 'utf8');
const PROMPT = 'tour$';

/** The command lines of the README's "# Terminal N" blocks, as a person would type them. */
function terminalBlocks(): string[][] {
  const blocks = [...README.matchAll(/```sh\n# Terminal \d[^\n]*\n([\s\S]*?)```/g)];
  return blocks.map((block) =>
    (block[1] ?? '').split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#')),
  );
}

// The README's 60-second tour typed, line by line, into two real terminals (interactive bash
// in tmux, started in the clone), exactly as written; assertions on what the screens show.
describe.skipIf(!hasTmux)('the README tour, typed into two terminals', () => {
  const server = `shoal-tour-test-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', server, ...args], { encoding: 'utf8' });
  const screen = (terminal: string) => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', terminal);
  const dirs = [...README.matchAll(/--dir (\/tmp\/[\w/-]+)/g)].map((m) => m[1] as string);

  async function waitFor(terminal: string, test: (shown: string) => boolean, what: string): Promise<string> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const shown = screen(terminal);
      if (test(shown)) return shown;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; ${terminal} shows:\n${shown}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const prompts = (shown: string) => shown.split('\n').filter((line) => line.startsWith(PROMPT)).length;

  /** Types `line` at the shell prompt and waits until the shell prompts again. */
  async function run(terminal: string, line: string): Promise<void> {
    const before = prompts(screen(terminal));
    tmux('send-keys', '-t', terminal, '-l', line);
    tmux('send-keys', '-t', terminal, 'Enter');
    await waitFor(terminal, (shown) => prompts(shown) > before, `\`${line}\` to finish`);
  }

  function openTerminal(name: string): void {
    tmux(
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      '200',
      '-y',
      '50',
      '-c',
      ROOT,
      `env -u SHOAL_DIR NO_COLOR=1 PS1='${PROMPT} ' bash --norc --noprofile -i`,
    );
  }

  afterAll(() => {
    spawnSync('tmux', ['-L', server, 'kill-server']);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('works exactly as written', async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    const [first = [], second = []] = terminalBlocks();
    expect(first.length).toBeGreaterThan(1);
    expect(second.length).toBeGreaterThan(1);
    openTerminal('t1');
    openTerminal('t2');
    await waitFor('t1', (s) => prompts(s) > 0, 'a prompt');
    await waitFor('t2', (s) => prompts(s) > 0, 'a prompt');

    // Terminal 1: everything up to the agent, which keeps running.
    const agentLine = first.findIndex((line) => line.startsWith('shoal agent'));
    expect(agentLine).toBeGreaterThan(0);
    for (const line of first.slice(0, agentLine)) await run('t1', line);
    expect(screen('t1')).toMatch(/invite \(anyone holding it/);
    tmux('send-keys', '-t', 't1', '-l', first[agentLine] ?? '');
    tmux('send-keys', '-t', 't1', 'Enter');
    await waitFor('t1', (s) => /agent [0-9a-f]+ running on/.test(s), 'the agent to run');

    // Terminal 2: each line, the REPL last.
    for (const line of second) {
      if (!line.startsWith('shoal repl')) {
        await run('t2', line);
        continue;
      }
      tmux('send-keys', '-t', 't2', '-l', line);
      tmux('send-keys', '-t', 't2', 'Enter');
      await waitFor('t2', (s) => /^shoal> $/m.test(s), 'the REPL prompt');
      tmux('send-keys', '-t', 't2', '-l', 'await map.set("volume", 7); map.get("volume") + 1');
      tmux('send-keys', '-t', 't2', 'Enter');
      await waitFor('t2', (s) => /^8$/m.test(s), 'the REPL to answer');
      tmux('send-keys', '-t', 't2', 'C-d');
      await waitFor('t2', (s) => prompts(s) > second.length - 1, 'the REPL to end');
    }
    const t2 = screen('t2');
    expect(t2).toMatch(/^joined network "shoal"/m);
    expect(t2).toMatch(/peer [0-9a-f]+ holds the write/);
    expect(t2).toMatch(/^\{"on":true\}$/m);
    expect(t2).toMatch(/#1 dinner at 7\?$/m);
    expect(t2).toMatch(/\balive\b/);
    // Terminal 1's agent logged b coming and going.
    await waitFor(
      't1',
      (s) => /joined +[0-9a-f]+/.test(s) && /left +[0-9a-f]+/.test(s),
      'b to join and leave',
    );
    tmux('send-keys', '-t', 't1', 'C-c');
    await waitFor(
      't1',
      (s) => /SIGINT: leaving the cluster/.test(s) && prompts(s) >= first.length,
      'the agent to leave',
    );
  }, 180_000);
});
