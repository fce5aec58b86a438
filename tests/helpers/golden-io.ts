// Golden cases: <component>/<case>/io.safetensors (in.* / out.* tensors) + case.json. A graph is run
// on the case's inputs and every expected output is compared with the ERRATA rule
// |actual - expected| <= tol * max(1, |expected|), NaN only where NaN is expected.
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { join } from 'node:path';
import { goldenDir } from './golden.ts';
import type { ModelSession } from '../../server/ml/session.ts';
import { toFloat32 } from '../../server/ml/tensor.ts';
import type { Tensor } from '../../server/ml/tensor.ts';
import { openWeights, readTensor } from '../../server/ml/weights/index.ts';

export interface GoldenCase {
  readonly dir: string;
  readonly caseJson: Record<string, unknown>;
  readonly tensors: ReadonlyMap<string, Tensor>;
  /** `in.*` tensors without the prefix. */
  readonly inputs: Record<string, Tensor>;
  /** `out.*` tensors without the prefix. */
  readonly outputs: Record<string, Tensor>;
}

/** The case, or undefined when the component's golden folder is absent (goldenDir prints why). */
export function readGoldenCase(component: string, caseName: string): GoldenCase | undefined {
  const root = goldenDir(component);
  if (!root) return undefined;
  const dir = join(root, caseName);
  if (!existsSync(join(dir, 'io.safetensors'))) throw new Error(`golden case ${component}/${caseName} has no io.safetensors`);
  const caseJson = existsSync(join(dir, 'case.json')) ? JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Record<string, unknown> : {};
  const tensors = new Map<string, Tensor>();
  for (const [key, entry] of openWeights(join(dir, 'io.safetensors')).tensors) tensors.set(key, readTensor(entry));
  const inputs: Record<string, Tensor> = {};
  const outputs: Record<string, Tensor> = {};
  for (const [key, t] of tensors) {
    if (key.startsWith('in.')) inputs[key.slice(3)] = t;
    else if (key.startsWith('out.')) outputs[key.slice(4)] = t;
  }
  return { dir, caseJson, tensors, inputs, outputs };
}

export interface OutputComparison {
  readonly name: string;
  readonly shapeMatches: boolean;
  readonly maxAbs: number;
  /** max |a - e| / max(1, |e|): the quantity the tolerance bounds. */
  readonly maxRel: number;
  readonly worstIndex: number;
  readonly failures: number;
  readonly nanMismatches: number;
  readonly pass: boolean;
}

export function compareTensor(name: string, actual: Tensor, expected: Tensor, tol: number): OutputComparison {
  const shapeMatches = actual.shape.length === expected.shape.length && actual.shape.every((d, i) => d === expected.shape[i]);
  const a = toFloat32(actual).data as Float32Array;
  const e = toFloat32(expected).data as Float32Array;
  let maxAbs = 0; let maxRel = 0; let worstIndex = -1; let failures = 0; let nanMismatches = 0;
  if (a.length !== e.length) return { name, shapeMatches: false, maxAbs: Infinity, maxRel: Infinity, worstIndex: -1, failures: e.length, nanMismatches: 0, pass: false };
  for (let i = 0; i < e.length; i++) {
    const ev = e[i]!; const av = a[i]!;
    if (Number.isNaN(ev) || Number.isNaN(av)) {
      if (Number.isNaN(ev) !== Number.isNaN(av)) { nanMismatches++; failures++; }
      continue;
    }
    const abs = Math.abs(av - ev);
    const rel = abs / Math.max(1, Math.abs(ev));
    if (abs > maxAbs) maxAbs = abs;
    if (rel > maxRel) { maxRel = rel; worstIndex = i; }
    if (!(abs <= tol * Math.max(1, Math.abs(ev)))) failures++;
  }
  return { name, shapeMatches, maxAbs, maxRel, worstIndex, failures, nanMismatches, pass: shapeMatches && failures === 0 };
}

export interface GoldenReport {
  readonly outputs: readonly OutputComparison[];
  readonly pass: boolean;
  /** One line per output, for test logs. */
  readonly text: string;
}

/** Logs a report's lines and fails the test, with them, when it did not pass. */
export function expectPass(report: Pick<GoldenReport, 'pass' | 'text'>): void {
  console.info(report.text);
  expect(report.pass, report.text).toBe(true);
}

export function compareOutputs(actual: Record<string, Tensor>, expected: Record<string, Tensor>, tol: number): GoldenReport {
  const outputs = Object.entries(expected).map(([name, e]) => {
    const a = actual[name];
    if (!a) return { name, shapeMatches: false, maxAbs: Infinity, maxRel: Infinity, worstIndex: -1, failures: 1, nanMismatches: 0, pass: false };
    return compareTensor(name, a, e, tol);
  });
  const text = outputs.map((o) => `${o.pass ? 'ok  ' : 'FAIL'} ${o.name}: max abs ${o.maxAbs.toExponential(2)}, max rel ${o.maxRel.toExponential(2)}${o.failures ? `, ${o.failures} over tol ${tol}` : ''}${o.shapeMatches ? '' : ', shape differs'}`).join('\n');
  return { outputs, pass: outputs.every((o) => o.pass), text };
}

/**
 * Runs the session on the case's inputs (graph input name = tensor name without `in.`) and compares
 * the chosen outputs (graph output name = tensor name without `out.`).
 */
export async function runGoldenCase(session: ModelSession, golden: GoldenCase, outputNames: readonly string[], tol: number): Promise<GoldenReport> {
  const feeds: Record<string, Tensor> = {};
  for (const name of session.inputNames) {
    const t = golden.inputs[name];
    if (!t) throw new Error(`golden case ${golden.dir} has no in.${name}`);
    feeds[name] = t;
  }
  const expected: Record<string, Tensor> = {};
  for (const name of outputNames) {
    const t = golden.outputs[name];
    if (!t) throw new Error(`golden case ${golden.dir} has no out.${name}`);
    expected[name] = t;
  }
  const actual = await session.run(feeds, outputNames);
  return compareOutputs(actual, expected, tol);
}
