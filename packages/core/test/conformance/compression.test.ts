import { describeCompressionConformance } from '@shoal/testkit';
import { fflateCompression } from '../../src/protocol/compression.js';

describeCompressionConformance('fflateCompression', () => fflateCompression);
