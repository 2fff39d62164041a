import { describeAeadConformance } from '@shoal/testkit';
import { nobleXChaCha20Poly1305 } from '../../src/ports/aead.js';

describeAeadConformance('nobleXChaCha20Poly1305', () => nobleXChaCha20Poly1305);
