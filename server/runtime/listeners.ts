/** Subscribers to a stream of events; one throwing listener never stops the others. */
export class Listeners<T> {
  readonly #listeners = new Set<(event: T) => void>();

  constructor(private readonly onError?: (error: unknown) => void) {}

  add(listener: (event: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(event: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onError?.(error);
      }
    }
  }
}
