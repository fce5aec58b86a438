// Telling the two workflow formats apart, as ComfyUI's loaders do: API format is an object whose
// values all carry `class_type`; UI format is an object with a `nodes` array; scripts often wrap
// an API prompt as `{ "prompt": ... }` (the body of POST /prompt).
import type { ApiPrompt, ObjectInfo } from '../../types/api.ts';
import type { UiWorkflow } from '../../types/workflow.ts';
import { WorkflowError } from './errors.ts';
import { isPlainObject, isUiWorkflow } from './parse.ts';
import { migrateFormerCoreApi } from './former-core.ts';
import { uiToApi, type ConversionResult, type ConvertOptions } from './to-api.ts';

export type LoadedWorkflow = { format: 'api'; prompt: ApiPrompt } | { format: 'ui'; workflow: UiWorkflow };

export function detectWorkflow(data: unknown): LoadedWorkflow {
  if (isUiWorkflow(data)) return { format: 'ui', workflow: data };
  if (!isPlainObject(data)) throw new WorkflowError('the file does not hold a workflow object');
  if (isPlainObject(data.prompt) && !('class_type' in data.prompt)) return detectWorkflow(data.prompt);
  const nodes = Object.values(data);
  // One node with a class_type is enough to call it a prompt: validation then names the bad nodes.
  if (nodes.length === 0 || nodes.some((node) => isPlainObject(node) && 'class_type' in node)) return { format: 'api', prompt: data as ApiPrompt };
  throw new WorkflowError(
    'the file is neither an API-format prompt (an object of nodes with "class_type") nor a UI-format workflow (an object with a "nodes" array)',
  );
}

/**
 * The API prompt a loaded workflow runs as: UI files are converted with the registry's object_info;
 * API files saved with FlashGraph's former LoadVideo/SaveVideo options are brought to the current form.
 */
export function toApiPrompt(loaded: LoadedWorkflow, objectInfo: ObjectInfo, options: ConvertOptions = {}): ConversionResult {
  if (loaded.format === 'api') {
    const { workflow, warnings } = migrateFormerCoreApi(loaded.prompt, objectInfo);
    return { prompt: workflow, warnings };
  }
  return uiToApi(loaded.workflow, objectInfo, options);
}
