// `graph run <workflow.json>`: validate, run with progress, print where outputs went.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiPrompt, ExtraData, FileRef, HistoryEntry, ObjectInfo } from '../../types/api.ts';
import { createHost, type HostOptions } from '../host.ts';
import { MAX_JSON_DEPTH, nestingDepthExceeds, tooDeepMessage } from '../runtime/json-depth.ts';
import { isPlainObject } from '../runtime/validate.ts';
import type { FolderStorage } from '../storage/folders.ts';
import { applyControlAfterGenerate, detectWorkflow, toApiPrompt, WorkflowError, type LoadedWorkflow } from '../workflow/index.ts';
import { createProgressView, routeConsole } from './progress.ts';
import { formatExecutionError, formatValidationFailure } from './report.ts';

export interface RunOptions {
  set: string[];
  folders?: HostOptions['folders'];
  packs?: HostOptions['packs'];
  json?: boolean;
  verbose?: boolean;
  /** Apply the control modes saved with seed-like widgets (randomize, increment...) before running. */
  applyControl?: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Reads a workflow file of either format (API, UI, or a `{prompt}` wrapper). */
export async function readWorkflowFile(path: string): Promise<LoadedWorkflow> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read workflow ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  // Before anything recursive walks it (a RangeError stack is no answer for a user).
  if (nestingDepthExceeds(data, MAX_JSON_DEPTH)) throw new UsageError(`${path}: ${tooDeepMessage('the workflow')}`);
  try {
    return detectWorkflow(data);
  } catch (error) {
    if (error instanceof WorkflowError) throw new UsageError(`${path}: ${error.message}`);
    throw error;
  }
}

export interface LoadOptions {
  /** Node schemas for converting UI files (the running registry's, packs included). */
  objectInfo: ObjectInfo;
  applyControl?: boolean;
  /** Where conversion warnings and applied control values are reported. */
  log?: (line: string) => void;
}

export interface LoadedPrompt {
  prompt: ApiPrompt;
  /** What ComfyUI's editor sends along: the UI workflow, for save nodes to embed. */
  extraData: ExtraData;
}

/** The API prompt a workflow file runs as; UI files are converted like ComfyUI's editor does. */
export async function loadWorkflow(path: string, options: LoadOptions): Promise<LoadedPrompt> {
  let loaded = await readWorkflowFile(path);
  const log = options.log ?? (() => {});
  if (options.applyControl) {
    if (loaded.format === 'ui') {
      loaded = {
        format: 'ui',
        workflow: applyControlAfterGenerate(loaded.workflow, options.objectInfo, Math.random, (c) =>
          log(`control: #${c.node} ${c.type} ${c.widget} = ${JSON.stringify(c.to)} (${c.mode}, was ${JSON.stringify(c.from)})`),
        ),
      };
    } else {
      log('control: API-format prompts carry no control modes; values are used as they are');
    }
  }
  try {
    const { prompt, warnings } = toApiPrompt(loaded, options.objectInfo);
    for (const warning of warnings) log(`warning: ${warning}`);
    return { prompt, extraData: loaded.format === 'ui' ? { extra_pnginfo: { workflow: loaded.workflow } } : {} };
  } catch (error) {
    if (error instanceof WorkflowError) throw new UsageError(`${path}: ${error.message}`);
    throw error;
  }
}

/** `--set <node>.<input>=<value>`: node by id or by unique title; value parsed as JSON when it is JSON. */
export function applyOverrides(prompt: ApiPrompt, assignments: readonly string[]): void {
  for (const assignment of assignments) {
    const match = /^([^=]+?)\.([^.=]+)=(.*)$/s.exec(assignment);
    if (!match) throw new UsageError(`--set expects <node>.<input>=<value>, got ${JSON.stringify(assignment)}`);
    const [, nodeRef, input, raw] = match as unknown as [string, string, string, string];
    let id = nodeRef in prompt ? nodeRef : undefined;
    if (!id) {
      const titled = Object.keys(prompt).filter((key) => prompt[key]?._meta?.title === nodeRef);
      if (titled.length > 1) throw new UsageError(`--set: title "${nodeRef}" matches nodes ${titled.join(', ')}; use the node id`);
      id = titled[0];
    }
    if (!id) throw new UsageError(`--set: no node with id or title "${nodeRef}" in the workflow`);
    const node = prompt[id]!;
    if (!isPlainObject(node.inputs)) node.inputs = {};
    node.inputs[input] = parseValue(raw);
  }
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Every file an output node reported, with its absolute path. */
export function outputFiles(entry: HistoryEntry, storage: FolderStorage): { node: string; path: string }[] {
  const files: { node: string; path: string }[] = [];
  for (const [node, ui] of Object.entries(entry.outputs)) {
    for (const values of Object.values(ui)) {
      for (const value of values) {
        if (!isPlainObject(value) || typeof value.filename !== 'string') continue;
        const ref = value as unknown as FileRef;
        const folder = ['input', 'output', 'temp'].includes(ref.type) ? ref.type : 'output';
        files.push({ node, path: join(storage.directory(folder), ref.subfolder ?? '', ref.filename) });
      }
    }
  }
  return files;
}

export async function runWorkflow(path: string, options: RunOptions): Promise<number> {
  const host = await createHost({ folders: options.folders, packs: options.packs, ephemeralHistory: true });
  const { runner, storage } = host;
  let loaded: { prompt: ApiPrompt; extraData: ExtraData };
  try {
    loaded = await loadWorkflow(path, {
      // Combo inputs list the files in the input folder: conversion defaults depend on them.
      objectInfo: host.registry.objectInfo(storage),
      applyControl: options.applyControl,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    applyOverrides(loaded.prompt, options.set);
  } catch (error) {
    await runner.stop();
    throw error;
  }
  const { prompt, extraData } = loaded;
  for (const pack of host.packs) {
    if (pack.failure) process.stderr.write(`warning: node pack "${pack.name}" IMPORT FAILED: ${pack.failure}\n`);
    for (const conflict of pack.conflicts) process.stderr.write(`warning: ${conflict}\n`);
  }
  const progress = options.json ? undefined : createProgressView(prompt, process.stderr);
  runner.on((event) => {
    if (event.kind === 'execution') progress?.handle(event.event);
  });
  // What nodes print while they run goes above the bars, and never onto stdout, which carries the
  // results (file paths, or the --json document).
  const restoreConsole = routeConsole((line) => (progress ? progress.log(line) : process.stderr.write(`${line}\n`)));
  const interrupt = () => runner.interrupt();
  process.on('SIGINT', interrupt);
  try {
    const submitted = await runner.submit({ prompt, extraData });
    if (!submitted.ok) {
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ status: 'invalid', error: submitted.error, node_errors: submitted.nodeErrors }, null, 2)}\n`);
      } else {
        process.stderr.write(`${formatValidationFailure(submitted.error, submitted.nodeErrors, prompt)}\n`);
      }
      return 2;
    }
    const entry = await runner.waitFor(submitted.promptId);
    progress?.stop();
    const files = outputFiles(entry, storage);
    const messages = entry.status.messages;
    const failure = messages.find(([type]) => type === 'execution_error')?.[1];
    const interrupted = messages.some(([type]) => type === 'execution_interrupted');
    const status = entry.status.status_str === 'success' ? 'success' : interrupted ? 'interrupted' : 'error';
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ prompt_id: submitted.promptId, status, outputs: entry.outputs, files: files.map((f) => f.path), error: failure, node_errors: submitted.nodeErrors }, null, 2)}\n`,
      );
    } else {
      for (const [id, entryErrors] of Object.entries(submitted.nodeErrors)) {
        process.stderr.write(`warning: output #${id} ${entryErrors.class_type} skipped: ${entryErrors.errors.map((e) => e.message).join('; ')}\n`);
      }
      if (failure) process.stderr.write(`${formatExecutionError(failure as never, prompt, options.verbose)}\n`);
      if (interrupted) process.stderr.write('Interrupted.\n');
      for (const file of files) process.stdout.write(`${file.path}\n`);
      for (const [id, ui] of Object.entries(entry.outputs)) {
        if (!files.some((f) => f.node === id) && Array.isArray(ui.text)) process.stdout.write(`#${id}: ${ui.text.join('\n')}\n`);
      }
    }
    return status === 'success' ? 0 : interrupted ? 130 : 1;
  } finally {
    process.off('SIGINT', interrupt);
    progress?.stop();
    restoreConsole();
    await runner.stop();
  }
}
