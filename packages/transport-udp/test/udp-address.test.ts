import { describe, expect, it } from 'vitest';
import { decodeUdpAddress, encodeUdpAddress, isUnicastAddress, udpAddress } from '../src/index.js';

describe('UDP address encoding', () => {
  it('encodes IPv4 as family, 4 address bytes and a big-endian port', () => {
    const bytes = encodeUdpAddress({ family: 4, host: '192.168.1.20', port: 47477 });
    expect([...bytes]).toEqual([4, 192, 168, 1, 20, 0xb9, 0x75]);
    expect(decodeUdpAddress(bytes)).toEqual({
      ok: true,
      value: { family: 4, host: '192.168.1.20', port: 47477 },
    });
  });

  it('encodes IPv6 in 19 bytes', () => {
    const bytes = encodeUdpAddress({ family: 6, host: 'fd00::2', port: 1 });
    expect(bytes.length).toBe(19);
    expect(decodeUdpAddress(bytes)).toEqual({
      ok: true,
      value: { family: 6, host: 'fd00:0:0:0:0:0:0:2', port: 1 },
    });
  });

  it('maps IPv4-mapped IPv6 sources to IPv4', () => {
    expect(udpAddress('::ffff:127.0.0.1', 9)).toEqual({ family: 4, host: '127.0.0.1', port: 9 });
  });

  it.each([
    ['host name', 'example.com', 80],
    ['port 0', '127.0.0.1', 0],
    ['port above 65535', '127.0.0.1', 65536],
    ['bad quad', '256.0.0.1', 80],
    ['two compressions', '1::2::3', 80],
  ])('refuses a %s', (_name, host, port) => {
    expect(udpAddress(host, port)).toBeUndefined();
    expect(() => encodeUdpAddress({ family: 4, host, port })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it.each([
    [[], 'empty'],
    [[5, 1, 2, 3, 4, 0, 1], 'unknown family'],
    [[4, 1, 2, 3, 4, 0], 'short'],
    [[4, 1, 2, 3, 4, 0, 0], 'port 0'],
  ])('decoding rejects %j (%s)', (bytes) => {
    expect(decodeUdpAddress(new Uint8Array(bytes)).ok).toBe(false);
  });

  it('tells unicast from multicast, broadcast and unspecified addresses', () => {
    expect(isUnicastAddress({ family: 4, host: '10.0.0.1', port: 1 })).toBe(true);
    expect(isUnicastAddress({ family: 4, host: '239.255.77.77', port: 1 })).toBe(false);
    expect(isUnicastAddress({ family: 4, host: '255.255.255.255', port: 1 })).toBe(false);
    expect(isUnicastAddress({ family: 4, host: '0.0.0.0', port: 1 })).toBe(false);
    expect(isUnicastAddress({ family: 6, host: 'ff02::1', port: 1 })).toBe(false);
    expect(isUnicastAddress({ family: 6, host: '::1', port: 1 })).toBe(true);
  });
});
