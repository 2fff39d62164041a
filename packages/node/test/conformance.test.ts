// The @shoal/testkit README example, run: each node adapter passes the suite of its port.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  describeAeadConformance,
  describeCompressionConformance,
  describeSha256Conformance,
  describeSignerConformance,
  describeTimerPortConformance,
} from '@shoal/testkit';
import { nodeXChaCha20Poly1305 } from '../src/node-aead.js';
import { nodeZlibCompression } from '../src/node-compression.js';
import { nodeSha256 } from '../src/node-sha256.js';
import { nodeEd25519 } from '../src/node-signer.js';
import { nodeTimers } from '../src/node-timers.js';

describeTimerPortConformance('nodeTimers', () => ({ timers: nodeTimers, elapse: (ms) => sleep(ms) }));
describeAeadConformance('nodeXChaCha20Poly1305', () => nodeXChaCha20Poly1305);
describeCompressionConformance('nodeZlibCompression', () => nodeZlibCompression);
describeSignerConformance('nodeEd25519', () => nodeEd25519);
describeSha256Conformance('nodeSha256', () => nodeSha256);
