import { describeKeyValueStoreConformance } from '@shoal/testkit';
import { indexedDbSetup } from './conformance-setup.js';

describeKeyValueStoreConformance('IndexedDbStore (Chromium)', indexedDbSetup, { numRuns: 25 });
