import { expect, it, vi } from 'vitest';
import readme from '../README.md?raw';
import example from './readme-example.ts?raw';

it('runs the README example', async () => {
  // The example file is the README's block verbatim, so what runs here is what the README shows.
  const block = example.slice(example.indexOf('\n') + 1);
  expect(readme).toContain(`\`\`\`ts\n${block}\`\`\``);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import('./readme-example.js');
    expect(log.mock.calls).toEqual([[Uint8Array.of(1, 2), Uint8Array.of(42)]]);
  } finally {
    log.mockRestore();
  }
  expect((await indexedDB.databases()).map((database) => database.name)).not.toContain('my-app-shoal');
});
