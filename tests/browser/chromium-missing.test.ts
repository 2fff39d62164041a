import { it } from 'vitest';
import { chromiumMissing } from './chromium.js';

// Stands in for the in-browser project where Chromium is absent, so the skip is visible.
it.skip(chromiumMissing, () => {});
