import { describeCompressionConformance } from '@shoal/testkit';
import { fflateCompression } from '../../src/ports/compression.js';

describeCompressionConformance('fflateCompression', () => fflateCompression);
