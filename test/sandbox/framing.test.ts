import { describe, expect, it } from 'vitest';
import { FrameReader, FramingError, encodeFrame, introHeader } from '../../src/sandbox/transport/framing.js';

describe('sandbox intro header', () => {
  it('reads the dictionary version of either engine generation, with or without a routing block', () => {
    for (const version of [2, 3]) {
      const reader = new FrameReader();
      expect(reader.push(Buffer.concat([introHeader(version), encodeFrame(Buffer.from('hello'))]))).toEqual([Buffer.from('hello')]);
      expect(reader.dictVersion).toBe(version);
    }
    const routed = new FrameReader();
    const routing = Buffer.from([1, 2, 3]);
    const block = Buffer.from([0x45, 0x44, 0, 1, 0, 0, routing.length]);
    routed.push(Buffer.concat([block, routing, introHeader(2), encodeFrame(Buffer.from('x'))]));
    expect(routed.dictVersion).toBe(2);
    expect(routed.routingInfo).toEqual(routing);
  });

  it('refuses a dictionary version it has no tables for', () => {
    expect(() => new FrameReader().push(Buffer.concat([introHeader(1), encodeFrame(Buffer.from('x'))]))).toThrow(FramingError);
    expect(() => new FrameReader().push(Buffer.from('GET / HTTP/1.1'))).toThrow('bad intro header');
  });
});
