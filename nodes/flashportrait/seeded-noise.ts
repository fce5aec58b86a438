// Initial noise from the node's 64-bit seed. Deterministic on every machine, but NOT torch's CUDA
// Philox stream: the same seed gives a different (equally distributed) video than the released
// node. xoshiro128** (state from splitmix64 of the seed) and Box-Muller pairs.

const MASK64 = (1n << 64n) - 1n;

/** Seeds arrive as JSON numbers; above 2^53 they are already rounded, and wrap modulo 2^64. */
export function seedToUint64(seed: number | bigint): bigint {
  const value = typeof seed === 'bigint' ? seed : BigInt(Math.trunc(seed));
  return ((value % (1n << 64n)) + (1n << 64n)) & MASK64;
}

function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

export class SeededRandom {
  private readonly s = new Uint32Array(4);

  constructor(seed: number | bigint) {
    let state = seedToUint64(seed);
    for (let i = 0; i < 2; i++) {
      const [next, out] = splitmix64(state);
      state = next;
      this.s[2 * i] = Number(out & 0xffffffffn);
      this.s[2 * i + 1] = Number(out >> 32n);
    }
    // xoshiro's all-zero state is a fixed point; splitmix64 never yields two zero words, but be safe.
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  /** Next 32 random bits (xoshiro128**). */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in (0, 1): never 0, so the logarithm below is finite. */
  uniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** Two standard normal values (Box-Muller). */
  normalPair(): [number, number] {
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    return [radius * Math.cos(angle), radius * Math.sin(angle)];
  }

  /** Standard normal values, filled in Box-Muller pairs (an odd length drops the last pair's second). */
  fillNormal(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i += 2) {
      const [first, second] = this.normalPair();
      out[i] = first;
      if (i + 1 < out.length) out[i + 1] = second;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * The values of `seededNormal(seed, n)` for any n, handed out a span at a time: a Box-Muller pair
 * split between two spans keeps its second value for the next one.
 */
export class NormalStream {
  private readonly random: SeededRandom;
  private spare: number | undefined;

  constructor(seed: number | bigint) {
    this.random = new SeededRandom(seed);
  }

  fill(out: Float32Array): Float32Array {
    let i = 0;
    if (this.spare !== undefined && out.length > 0) {
      out[i++] = this.spare;
      this.spare = undefined;
    }
    for (; i < out.length; i += 2) {
      const [first, second] = this.random.normalPair();
      out[i] = first;
      if (i + 1 < out.length) out[i + 1] = second;
      else this.spare = second;
    }
    return out;
  }
}

/** `count` standard normal values for `seed`. */
export function seededNormal(seed: number | bigint, count: number): Float32Array {
  return new SeededRandom(seed).fillNormal(new Float32Array(count));
}
