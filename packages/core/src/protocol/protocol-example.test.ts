import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { MessageSealer } from '../security/message-sealer.js';
import { encodeEnvelope } from './envelope.js';
import { MessageType } from './message-type.js';
import { encodeDigest } from './sync-codec.js';

const NODE = '0123456789abcdef0123456789abcdef' as NodeId;
const PEER = 'fedcba9876543210fedcba9876543210' as NodeId;

/** The worked example of docs/protocol.md §10, built with the encoders. */
function exampleEnvelope(): Uint8Array {
  const body = encodeDigest(
    {
      type: 'digest',
      channel: 'home',
      reply: false,
      fresh: true,
      scopeFrom: '',
      scopeTo: null,
      objects: [
        {
          kind: 'map',
          name: 'settings',
          from: '',
          to: null,
          clocks: [[NODE, { wall: 1_700_000_000_000, counter: 2 }]],
        },
      ],
    },
    { sender: NODE, receiver: PEER },
  );
  const sealer = new MessageSealer({ networkId: 'shoal', self: NODE, epoch: 1, keyring: 'open' });
  return sealer.seal(encodeEnvelope(MessageType.Digest, body));
}

/** The hex bytes of the example's dump after its UDP frame header, as the document shows them. */
function documentedEnvelope(): string {
  const text = readFileSync(new URL('../../../../docs/protocol.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf('## 10. Worked example'), text.indexOf('## 11.'));
  const dump = section.slice(section.indexOf('```') + 3, section.lastIndexOf('```'));
  const lines = dump.split('\n').filter((line) => /^[0-9a-f]{2}( |$)/.test(line));
  // The first two lines are the UDP frame: magic, version, id length, then the sender's id.
  return lines
    .slice(2)
    .map((line) => (line.match(/^(?:[0-9a-f]{2} ?)+/)?.[0] ?? '').trim())
    .join(' ');
}

describe('docs/protocol.md §10', () => {
  it('shows the bytes the encoders write', () => {
    const hex = [...exampleEnvelope()].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
    expect(documentedEnvelope()).toBe(hex);
  });
});
