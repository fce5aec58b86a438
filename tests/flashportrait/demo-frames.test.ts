import { describe, expect, it } from 'vitest';
import { demoDrivingFrames, demoFaceLuma, DEMO_FRAME_SIZE } from '../../nodes/flashportrait/demo/demo-frames.ts';
import { materialize } from '../../types/data.ts';

describe('demo driving frames', () => {
  it('default size is the demo clip picture; another size scales it, width and height not swapped', async () => {
    const plain = await materialize(demoDrivingFrames(2));
    expect(plain.shape).toEqual([2, DEMO_FRAME_SIZE, DEMO_FRAME_SIZE, 3]);
    expect(plain.data[((DEMO_FRAME_SIZE + 128) * DEMO_FRAME_SIZE + 128) * 3]).toBe(demoFaceLuma(128, 128, 1 / 25));

    const wide = await materialize(demoDrivingFrames(2, 25, { width: 512, height: 128 }));
    expect(wide.shape).toEqual([2, 128, 512, 3]);
    // Pixel (x, y) of the scaled picture shows the face at (x / 2, y * 2); the left eye is dark.
    const at = (x: number, y: number) => wide.data[((128 + y) * 512 + x) * 3];
    expect(at(200, 55)).toBe(demoFaceLuma(100, 110, 1 / 25));
    expect(at(200, 55)).toBe(40);
    expect(at(256, 64)).toBe(215);
    expect(at(5, 5)).toBe(12);
  });
});
