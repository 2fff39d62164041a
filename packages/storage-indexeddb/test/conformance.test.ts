// Fast iteration in Node on fake-indexeddb; conformance.browser.test.ts is the real proof, in Chromium.
import 'fake-indexeddb/auto';
import { describeKeyValueStoreConformance } from '@shoal/testkit';
import { indexedDbSetup } from './conformance-setup.js';

describeKeyValueStoreConformance('IndexedDbStore (fake-indexeddb, Node)', indexedDbSetup, { numRuns: 25 });
