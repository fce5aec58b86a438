// The one-call time budget. The device lends a task 15 minutes in all, starts included, so the whole
// bench must fit one call of about 8 minutes. Each step is estimated before it starts; a step that
// would not fit the time left (less a reserve for writing the report) is skipped and the report says
// so. Estimates are corrected by what the finished steps of the same kind really took.
export interface StepEstimate {
  /** Seconds of fixed cost (process start, graph build, session creation, weight upload). */
  readonly fixedS: number;
  /** Floating-point operations of the timed work (all calls: warm-up + timed runs). */
  readonly flops: number;
}

export interface Skip {
  readonly what: string;
  readonly neededS: number;
  readonly leftS: number;
}

export type Admission = { readonly run: true; readonly limitS: number } | { readonly run: false; readonly skip: Skip };

export interface BudgetOptions {
  /** Wall-clock deadline (ms since the epoch) of the whole bench. */
  readonly deadlineMs: number;
  /** Seconds kept back for writing the results. */
  readonly reserveS: number;
  /** Assumed FLOP/s before any step of a kind has been measured. */
  readonly assumedFlopsPerS: number;
  /** A step may run at most this many times its estimate before it is stopped. */
  readonly overrunFactor?: number;
  readonly now?: () => number;
}

export class BenchBudget {
  private readonly corrections = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: BudgetOptions) {
    this.now = o.now ?? Date.now;
  }

  leftS(): number {
    return (this.o.deadlineMs - this.now()) / 1000;
  }

  /** Seconds a step of `kind` is expected to take, with the correction learnt from earlier steps of that kind. */
  estimateS(kind: string, e: StepEstimate): number {
    return (e.fixedS + e.flops / this.o.assumedFlopsPerS) * (this.corrections.get(kind) ?? 1);
  }

  /** Run the step (with a time limit) or skip it, saying what it needed and what was left. */
  admit(kind: string, what: string, e: StepEstimate): Admission {
    const neededS = this.estimateS(kind, e);
    const usableS = this.leftS() - this.o.reserveS;
    if (neededS > usableS) return { run: false, skip: { what, neededS: round1(neededS), leftS: round1(Math.max(0, usableS)) } };
    return { run: true, limitS: Math.max(1, Math.min(usableS, neededS * (this.o.overrunFactor ?? 4))) };
  }

  /** What a step of `kind` really took: later estimates of that kind scale by actual / raw estimate (bounded). */
  record(kind: string, e: StepEstimate, actualS: number): void {
    const raw = e.fixedS + e.flops / this.o.assumedFlopsPerS;
    if (raw > 0 && actualS > 0) this.corrections.set(kind, Math.min(16, Math.max(1 / 16, actualS / raw)));
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
