// What a `graph` command leaves running when it is done, and ending it. Media nodes wait for their
// ffmpeg processes, but the TypeScript loader (tsx) compiles through an esbuild service process it
// starts on the module-loader thread and never stops: after a run that compiled anything, it
// outlived `graph run` in its process group (exiting, then a zombie, once its pipe closed). The
// entry point ends every child still there before it exits. Linux only (it reads /proc); elsewhere
// there is nothing to read and nothing is done.
import { readdirSync, readFileSync } from 'node:fs';

/** The ids of this process's children (those of every thread), from /proc; [] where there is no /proc. */
export function childProcesses(pid: number | 'self' = 'self'): number[] {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children = new Set<number>();
  for (const thread of threads) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8').split(' ')) {
        if (child.trim() !== '') children.add(Number(child));
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  return [...children];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Asks every child of this process to stop (SIGTERM), then SIGKILL to those still there after
 * `graceMs`, and waits until all are gone (each is reaped by the thread that started it) or
 * `timeoutMs` passed. Returns the ids that were running.
 */
export async function endChildProcesses(options: { graceMs?: number; timeoutMs?: number } = {}): Promise<number[]> {
  const found = childProcesses();
  if (found.length === 0) return [];
  const signal = (pids: number[], name: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, name);
      } catch {
        // already gone
      }
    }
  };
  signal(found, 'SIGTERM');
  const started = Date.now();
  let killed = false;
  for (;;) {
    const left = childProcesses().filter((pid) => found.includes(pid));
    if (left.length === 0) break;
    const waited = Date.now() - started;
    if (waited > (options.timeoutMs ?? 3000)) break;
    if (!killed && waited > (options.graceMs ?? 500)) {
      signal(left, 'SIGKILL');
      killed = true;
    }
    await sleep(10);
  }
  return found;
}
