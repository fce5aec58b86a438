// A damaged safetensors file is named as one (issue 23, item 6): truncated in its header, or
// declaring a header of 2^63 bytes, under any name, it used to be called a legacy torch checkpoint.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openWeights } from '../../server/ml/weights/index.ts';
import { tempDir } from '../helpers/engine.ts';

const scratch = tempDir('flashgraph-weights-');

function safetensorsBytes(declaredLength: bigint, header: string): Buffer {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(declaredLength);
  return Buffer.concat([prefix, Buffer.from(header)]);
}

describe('damaged safetensors files', () => {
  const header = JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } });
  const cases: [string, Buffer, RegExp][] = [
    ['truncated header', safetensorsBytes(BigInt(header.length), header.slice(0, 20)), /truncated safetensors file: its header is \d+ bytes but only 20 follow the length/],
    ['header length 2^63', safetensorsBytes(2n ** 63n, '{"w":{}}'), /safetensors header length 9223372036854775808 is over the 104857600-byte limit: the file is damaged/],
    ['header length 2^64-1', safetensorsBytes(2n ** 64n - 1n, '{}'), /safetensors header length 18446744073709551615 is over/],
  ];
  for (const name of ['model.pth', 'model.bin', 'model.ckpt', 'model.safetensors', 'model.weights']) {
    it.each(cases)(`${name}: %s`, (_label, bytes, message) => {
      const path = join(scratch, `${_label.replaceAll(' ', '-')}-${name}`);
      writeFileSync(path, bytes);
      let error: Error | undefined;
      try {
        openWeights(path);
      } catch (caught) {
        error = caught as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message).not.toMatch(/legacy/);
    });
  }

  it('a file too short for any format says so; a real legacy pickle is still called one', () => {
    const short = join(scratch, 'short.pth');
    writeFileSync(short, Buffer.alloc(8));
    expect(() => openWeights(short)).toThrow(/8 bytes is too short to be a weight file/);
    const legacy = join(scratch, 'legacy.pt');
    writeFileSync(legacy, Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]));
    expect(() => openWeights(legacy)).toThrow(/legacy \(pre-1\.6, non-zip\) torch checkpoint/);
  });
});
