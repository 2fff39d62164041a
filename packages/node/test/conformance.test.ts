// The @shoal/testkit README example, run: each node adapter passes the suite of its port.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  describeAeadConformance,
  describeCompressionConformance,
  describeSignerConformance,
  describeTimerPortConformance,
} from '@shoal/testkit';
import { nodeXChaCha20Poly1305 } from '../src/node-aead.js';
import { nodeZlibCompression } from '../src/node-compression.js';
import { nodeEd25519 } from '../src/node-signer.js';
import { nodeTimers } from '../src/node-timers.js';

describeTimerPortConformance('nodeTimers', () => ({ timers: nodeTimers, elapse: (ms) => sleep(ms) }));
describeAeadConformance('nodeXChaCha20Poly1305', () => nodeXChaCha20Poly1305);
describeCompressionConformance('nodeZlibCompression', () => nodeZlibCompression);
describeSignerConformance('nodeEd25519', () => nodeEd25519);
