import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeExamples, runExample } from '../../core/test/readme-examples.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('README examples run as written', () => {
  const examples = readmeExamples(`${root}/README.md`);
  it('has examples', () => expect(examples.length).toBeGreaterThan(0));
  examples.forEach((example, index) => {
    it(`example ${index + 1} prints what its comments say`, async () => {
      expect(await runExample(example, root, `observe-${index + 1}`)).toEqual(example.expected);
    });
  });
});
