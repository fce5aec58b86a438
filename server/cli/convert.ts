// `graph convert <in> --to api|ui [-o out]`: between ComfyUI's two workflow formats.
import { writeFile } from 'node:fs/promises';
import { loadRegistry, type HostOptions } from '../host.ts';
import { FolderStorage, folderLayout } from '../storage/folders.ts';
import { apiToUi, parseWorkflow, serializeWorkflow, uiToApi, WorkflowError } from '../workflow/index.ts';
import { readWorkflowFile, UsageError } from './run.ts';

export interface ConvertOptions {
  to: string;
  output?: string;
  /** Base folder whose input/ lists the files combo inputs offer (for defaults). */
  baseDirectory?: string;
  packs?: HostOptions['packs'];
}

export async function convertWorkflow(path: string, options: ConvertOptions): Promise<number> {
  if (options.to !== 'api' && options.to !== 'ui') throw new UsageError(`--to must be "api" or "ui", got ${JSON.stringify(options.to)}`);
  const loaded = await readWorkflowFile(path);
  const layout = folderLayout({ base: options.baseDirectory });
  const { registry } = await loadRegistry(layout, options.packs);
  const objectInfo = registry.objectInfo(new FolderStorage(layout));
  let result: unknown;
  let warnings: string[] = [];
  try {
    if (options.to === 'api') {
      if (loaded.format === 'ui') ({ prompt: result, warnings } = uiToApi(loaded.workflow, objectInfo));
      else result = loaded.prompt;
    } else if (loaded.format === 'api') {
      ({ workflow: result, warnings } = apiToUi(loaded.prompt, objectInfo));
    } else {
      result = serializeWorkflow(parseWorkflow(loaded.workflow));
    }
  } catch (error) {
    if (error instanceof WorkflowError) throw new UsageError(`${path}: ${error.message}`);
    throw error;
  }
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  if (options.output === undefined || options.output === '-') process.stdout.write(text);
  else {
    try {
      await writeFile(options.output, text);
    } catch (error) {
      throw new UsageError(`cannot write ${options.output}: ${(error as Error).message}`);
    }
  }
  return 0;
}
