import { nobleSha256 } from '@shoal/core';
import { describeSha256Conformance } from './sha256-conformance.js';

describeSha256Conformance('nobleSha256', () => nobleSha256, { numRuns: 50 });
