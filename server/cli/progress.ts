// Terminal progress for a running prompt: a bar per running node on a terminal, plain lines
// otherwise (logs, pipes, CI). Log lines printed during a run go through `log`, which puts them
// above the bars (cli-progress's MultiBar.log) instead of into the middle of one.
import { format } from 'node:util';
import cliProgress from 'cli-progress';
import type { ApiPrompt, ExecutionEvent } from '../../types/api.ts';

export interface ProgressView {
  handle(event: ExecutionEvent): void;
  /** Prints one line without breaking the bars. */
  log(line: string): void;
  stop(): void;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;

/**
 * Sends every console line (nodes and the ML layer print warnings and `[ml]` notes that way) to
 * `log` until the returned function is called, which puts the console back.
 */
export function routeConsole(log: (line: string) => void): () => void {
  const saved = CONSOLE_METHODS.map((name) => [name, console[name]] as const);
  for (const name of CONSOLE_METHODS) console[name] = (...args: unknown[]) => log(format(...args));
  return () => { for (const [name, method] of saved) console[name] = method; };
}

function label(prompt: ApiPrompt, id: string): string {
  const node = prompt[id];
  const title = node?._meta?.title ?? node?.class_type ?? '?';
  return `#${id} ${title}`;
}

export function createProgressView(prompt: ApiPrompt, stream: NodeJS.WriteStream): ProgressView {
  return stream.isTTY ? new BarView(prompt, stream) : new LineView(prompt, stream);
}

class BarView implements ProgressView {
  readonly #bars: cliProgress.MultiBar;
  readonly #active = new Map<string, cliProgress.SingleBar>();
  /** The MultiBar redraws between the first bar and stop(); outside that, lines go straight out. */
  #drawing = false;

  constructor(
    readonly prompt: ApiPrompt,
    readonly stream: NodeJS.WriteStream,
  ) {
    this.#bars = new cliProgress.MultiBar(
      {
        stream,
        clearOnComplete: false,
        hideCursor: true,
        format: ' {bar} {percentage}% | {value}/{total} | {node}',
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  log(line: string): void {
    if (!this.#drawing) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.#bars.log(`${line}\n`);
    // Redraw now: the line appears in order with what follows, and none waits in the buffer at stop.
    this.#bars.update();
  }

  handle(event: ExecutionEvent): void {
    if (event.type === 'executing' && event.data.node !== null) {
      this.#finishAll();
      this.#active.set(event.data.node, this.#bars.create(1, 0, { node: label(this.prompt, event.data.node) }));
      this.#drawing = true;
    } else if (event.type === 'progress') {
      const bar = this.#active.get(event.data.node);
      bar?.setTotal(event.data.max);
      bar?.update(event.data.value);
    } else if (event.type === 'executed') {
      const bar = this.#active.get(event.data.node);
      if (bar) bar.update(bar.getTotal());
    }
  }

  #finishAll(): void {
    for (const bar of this.#active.values()) {
      bar.update(bar.getTotal());
      bar.stop();
    }
    this.#active.clear();
  }

  stop(): void {
    this.#finishAll();
    this.#bars.stop();
    this.#drawing = false;
  }
}

class LineView implements ProgressView {
  #lastPercent = new Map<string, number>();

  constructor(
    readonly prompt: ApiPrompt,
    readonly stream: NodeJS.WriteStream,
  ) {}

  handle(event: ExecutionEvent): void {
    if (event.type === 'execution_cached' && event.data.nodes.length > 0) {
      this.stream.write(`cached: ${event.data.nodes.map((id) => label(this.prompt, id)).join(', ')}\n`);
    } else if (event.type === 'executing' && event.data.node !== null) {
      this.stream.write(`running ${label(this.prompt, event.data.node)}\n`);
    } else if (event.type === 'progress') {
      // One line per 10% keeps logs readable for nodes that report thousands of steps.
      const percent = Math.floor((event.data.value / Math.max(event.data.max, 1e-9)) * 10) * 10;
      if (percent !== this.#lastPercent.get(event.data.node)) {
        this.#lastPercent.set(event.data.node, percent);
        this.stream.write(`  ${label(this.prompt, event.data.node)}: ${event.data.value}/${event.data.max}\n`);
      }
    }
  }

  log(line: string): void {
    this.stream.write(`${line}\n`);
  }

  stop(): void {}
}
