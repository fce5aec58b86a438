// Keeps sessions warm across runs and evicts the least recently used idle ones when a memory budget
// would be exceeded. Models in use (leased) are never evicted.

export interface Releasable {
  release(): Promise<void>;
}

export interface ModelSpec<T extends Releasable> {
  /** Memory the model will hold once loaded (e.g. BuiltModel.weightBytes). */
  readonly estimatedBytes: number;
  readonly load: () => Promise<T>;
}

export interface ModelLease<T extends Releasable> {
  readonly model: T;
  /** Ends this use; the model stays loaded until evicted or unloaded. */
  release(): void;
}

interface Slot<T extends Releasable> {
  readonly id: string;
  readonly bytes: number;
  readonly loading: Promise<T>;
  model?: T;
  users: number;
  lastUsed: number;
}

export interface ModelManagerOptions {
  /** Upper bound for the sum of estimatedBytes of loaded models. Default: no bound. */
  readonly budgetBytes?: number;
  readonly log?: (message: string) => void;
}

export class ModelManager<T extends Releasable = Releasable> {
  private readonly slots = new Map<string, Slot<T>>();
  private clock = 0;
  budgetBytes: number;
  private readonly log: (message: string) => void;

  constructor(options: ModelManagerOptions = {}) {
    this.budgetBytes = options.budgetBytes ?? Number.POSITIVE_INFINITY;
    this.log = options.log ?? ((m) => console.info(`[ml] ${m}`));
  }

  get usedBytes(): number {
    let total = 0;
    for (const s of this.slots.values()) total += s.bytes;
    return total;
  }

  loadedIds(): string[] {
    return [...this.slots.keys()];
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  /** The model, loading it on first use (concurrent callers share one load). */
  async acquire(id: string, spec: ModelSpec<T>): Promise<ModelLease<T>> {
    let slot = this.slots.get(id);
    if (!slot) {
      // The slot is registered before any await, so concurrent callers share this one load.
      const loading = this.makeRoom(spec.estimatedBytes, id).then(() => spec.load());
      const created: Slot<T> = { id, bytes: spec.estimatedBytes, loading, users: 0, lastUsed: 0 };
      slot = created;
      this.slots.set(id, created);
      loading.then((m) => { created.model = m; }, () => { if (this.slots.get(id) === created) this.slots.delete(id); });
    }
    const s = slot;
    const model = s.model ?? await s.loading;
    s.users++;
    s.lastUsed = ++this.clock;
    let released = false;
    return {
      model,
      release: () => {
        if (released) return;
        released = true;
        s.users--;
        s.lastUsed = ++this.clock;
      },
    };
  }

  /** acquire + run + release. */
  async use<R>(id: string, spec: ModelSpec<T>, fn: (model: T) => Promise<R> | R): Promise<R> {
    const lease = await this.acquire(id, spec);
    try {
      return await fn(lease.model);
    } finally {
      lease.release();
    }
  }

  private async makeRoom(needed: number, forId: string): Promise<void> {
    const othersBytes = (): number => [...this.slots.values()].reduce((a, s) => (s.id === forId ? a : a + s.bytes), 0);
    while (othersBytes() + needed > this.budgetBytes) {
      const idle = [...this.slots.values()].filter((s) => s.id !== forId && s.users === 0 && s.model).sort((a, b) => a.lastUsed - b.lastUsed);
      const victim = idle[0];
      if (!victim) {
        this.log(`loading ${forId} (${needed} bytes) exceeds the model memory budget of ${this.budgetBytes} bytes; nothing idle left to unload`);
        return;
      }
      this.log(`unloading ${victim.id} (least recently used, ${victim.bytes} bytes) to make room for ${forId}`);
      await this.unload(victim.id);
    }
  }

  async unload(id: string): Promise<boolean> {
    const slot = this.slots.get(id);
    if (!slot) return false;
    if (slot.users > 0) throw new Error(`model ${id} is in use and cannot be unloaded`);
    this.slots.delete(id);
    const model = slot.model ?? await slot.loading;
    await model.release();
    return true;
  }

  /** Unloads every idle model (the runtime's /free); returns how many were unloaded. */
  async unloadAll(): Promise<number> {
    let n = 0;
    for (const slot of [...this.slots.values()]) {
      if (slot.users === 0 && (await this.unload(slot.id))) n++;
    }
    return n;
  }
}
