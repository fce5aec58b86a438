// Fuzzing the workflow converter (server/workflow), which reads files from anywhere: whatever the
// JSON, detecting, converting both ways and validating the result either works or fails with a
// WorkflowError that the CLI and the editor report; never a TypeError, a RangeError or a hang.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRegistry, createServices } from '../../server/host.ts';
import { validatePrompt } from '../../server/runtime/validate.ts';
import { FolderStorage, folderLayout } from '../../server/storage/folders.ts';
import { apiToUi, detectWorkflow, toApiPrompt, WorkflowError } from '../../server/workflow/index.ts';
import { tempDir } from '../helpers/engine.ts';
import { REPO_ROOT } from '../helpers/golden.ts';
import { mutate, mutations, nastyJson, pathsOf, SEED } from './arbitraries.ts';

const registry = createRegistry();
const storage = new FolderStorage(folderLayout({ base: tempDir() }));
const objectInfo = registry.objectInfo(storage);
const env = { storage, services: createServices() };

/** Runs the converter chain on `data`; anything thrown must be a WorkflowError. */
async function convertAll(data: unknown): Promise<void> {
  const expected = (error: unknown) => {
    if (!(error instanceof WorkflowError)) throw error;
  };
  let prompt: unknown;
  try {
    prompt = toApiPrompt(detectWorkflow(data), objectInfo).prompt;
  } catch (error) {
    expected(error);
    return;
  }
  expect(() => JSON.stringify(prompt)).not.toThrow();
  await validatePrompt(prompt, registry, env);
  try {
    JSON.stringify(apiToUi(prompt, objectInfo).workflow);
  } catch (error) {
    expected(error);
  }
}

const samples = ['hello-text.json', 'flashportrait-demo.json', 'flashportrait-demo.api.json'].map((name) => JSON.parse(readFileSync(join(REPO_ROOT, 'workflows', name), 'utf8')) as unknown);

describe('workflow converter fuzz', () => {
  it('any JSON value: converts or fails with a WorkflowError', async () => {
    await fc.assert(fc.asyncProperty(nastyJson(5), convertAll), { seed: SEED, numRuns: 400 });
  });

  it('real workflows with values replaced or deleted: converts or fails with a WorkflowError', async () => {
    for (const [index, sample] of samples.entries()) {
      const paths = pathsOf(sample);
      await fc.assert(
        fc.asyncProperty(mutations(paths), (changes) => convertAll(mutate(sample, paths, changes))),
        { seed: SEED + index, numRuns: 250 },
      );
    }
  });
});
