// PIL's Image.resize(..., LANCZOS) for 8-bit RGB: separable, horizontal pass first, coefficients
// normalised then quantised to 22-bit fixed point, each pass rounded and clamped to 8 bits.
import type { RgbImage } from './conditioning.ts';

const SUPPORT = 3;
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function lanczos(x: number): number {
  return x > -SUPPORT && x < SUPPORT ? sinc(x) * sinc(x / SUPPORT) : 0;
}

interface Coefficients {
  readonly bounds: Int32Array; // per output: first input index, count
  readonly weights: Int32Array; // per output: kernelSize fixed-point weights
  readonly kernelSize: number;
}

function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const kernelSize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * kernelSize);
  const k = new Float64Array(kernelSize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterScale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = lanczos((x + xmin - center + 0.5) * ss);
      k[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0 ? k[x]! / total : k[x]!;
      weights[xx * kernelSize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, weights, kernelSize };
}

function clip8(acc: number): number {
  const v = Math.floor(acc / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

export function resizeLanczos(image: RgbImage, width: number, height: number): RgbImage {
  let current = image;
  if (width !== image.width) {
    const c = coefficients(image.width, width);
    const out = new Uint8Array(width * image.height * 3);
    for (let y = 0; y < image.height; y++) {
      for (let xx = 0; xx < width; xx++) {
        const xmin = c.bounds[xx * 2]!;
        const count = c.bounds[xx * 2 + 1]!;
        for (let ch = 0; ch < 3; ch++) {
          let acc = ONE / 2;
          for (let x = 0; x < count; x++) acc += current.data[(y * image.width + xmin + x) * 3 + ch]! * c.weights[xx * c.kernelSize + x]!;
          out[(y * width + xx) * 3 + ch] = clip8(acc);
        }
      }
    }
    current = { width, height: image.height, data: out };
  }
  if (height !== current.height) {
    const c = coefficients(current.height, height);
    const out = new Uint8Array(width * height * 3);
    for (let yy = 0; yy < height; yy++) {
      const ymin = c.bounds[yy * 2]!;
      const count = c.bounds[yy * 2 + 1]!;
      for (let x = 0; x < width; x++) {
        for (let ch = 0; ch < 3; ch++) {
          let acc = ONE / 2;
          for (let y = 0; y < count; y++) acc += current.data[((ymin + y) * width + x) * 3 + ch]! * c.weights[yy * c.kernelSize + y]!;
          out[(yy * width + x) * 3 + ch] = clip8(acc);
        }
      }
    }
    current = { width, height, data: out };
  }
  return current;
}
