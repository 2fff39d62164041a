import { IndexedDbStore } from '@shoal/storage-indexeddb';
import { afterEach, expect, it, vi } from 'vitest';
import readme from '../README.md?raw';
import example from './readme-example.ts?raw';

afterEach(async () => {
  await IndexedDbStore.destroy('my-app');
});

it('runs the README example', async () => {
  // The example file is the README's block verbatim, so what runs here is what the README shows.
  const block = example.slice(example.indexOf('\n') + 1);
  expect(readme).toContain(`\`\`\`ts\n${block}\`\`\``);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import('./readme-example.js');
    expect(log).toHaveBeenCalledWith('dark');
  } finally {
    log.mockRestore();
  }
});
