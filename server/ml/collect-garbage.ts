// A full, finished garbage collection, for the rare place that must return large dead ArrayBuffers
// to the OS before allocating again. onnxruntime-node copies every output of a run into a new
// ArrayBuffer; where those copies are dead on arrival (outputs computed into buffers of ours), V8
// would free them only at its next collection, which nothing triggers before the next native run.
// `gc` is V8's own function: the process's if it runs with --expose-gc, else obtained by exposing
// it to a fresh context. Two passes: the first finds the buffers, the second completes their release.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    const own = (globalThis as { gc?: () => void }).gc;
    if (own) gc = own;
    else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
  }
  gc();
  gc();
}
