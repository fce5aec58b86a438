import type { UiOutput } from '../../types/api.ts';

/** A node's stored result: one list per output slot, and what it showed in the UI. */
export interface CachedResult {
  outputs: unknown[][];
  ui?: UiOutput;
}

/**
 * - classic: after each prompt only results the latest prompt can reuse survive (ComfyUI default)
 * - lru: results of the last `size` prompts survive (entries of the current one always do)
 * - none: nothing survives between prompts
 */
export type CachePolicy = { kind: 'classic' } | { kind: 'lru'; size: number } | { kind: 'none' };

interface Slot {
  result: CachedResult;
  generation: number;
}

export class OutputCache {
  readonly #entries = new Map<string, Slot>();
  #generation = 0;

  constructor(readonly policy: CachePolicy = { kind: 'classic' }) {}

  /** Starts a prompt: marks its keys as in use and evicts per policy. */
  beginPrompt(keys: Iterable<string>): void {
    this.#generation++;
    const current = new Set(keys);
    for (const key of current) {
      const slot = this.#entries.get(key);
      if (slot) slot.generation = this.#generation;
    }
    if (this.policy.kind === 'lru') {
      const oldest = this.#generation - Math.max(0, this.policy.size);
      for (const [key, slot] of this.#entries) {
        if (slot.generation <= oldest && !current.has(key)) this.#entries.delete(key);
      }
    } else {
      for (const key of this.#entries.keys()) if (!current.has(key)) this.#entries.delete(key);
    }
  }

  endPrompt(): void {
    if (this.policy.kind === 'none') this.#entries.clear();
  }

  get(key: string): CachedResult | undefined {
    return this.#entries.get(key)?.result;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  set(key: string, result: CachedResult): void {
    this.#entries.set(key, { result, generation: this.#generation });
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
