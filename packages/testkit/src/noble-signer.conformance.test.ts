import { nobleEd25519 } from '@shoal/core';
import { describeSignerConformance } from './signer-conformance.js';

describeSignerConformance('nobleEd25519', () => nobleEd25519, { numRuns: 20 });
