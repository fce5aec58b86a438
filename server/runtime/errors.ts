/** Thrown inside a node when the prompt it belongs to was interrupted. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(message = 'Processing interrupted') {
    super(message);
  }
}
