import { writeFile } from 'node:fs/promises';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { asText } from './strings.ts';

export const PreviewAny: NodeDefinition = {
  type: 'PreviewAny',
  displayName: 'Preview Any',
  description: 'Shows any value as text in the editor.',
  category: 'utils',
  outputNode: true,
  inputs: { required: { source: { type: '*' } } },
  execute: ({ source }) => ({ ui: { text: [asText(source)] } }),
};

export const SaveText: NodeDefinition = {
  type: 'SaveText',
  displayName: 'Save Text',
  description: 'Writes text to a .txt file in the output folder.',
  category: 'utils/string',
  outputNode: true,
  inputs: {
    required: {
      text: { type: 'STRING', multiline: true, default: '' },
      filename_prefix: { type: 'STRING', default: 'text/ComfyUI', tooltip: 'File name prefix; may contain sub-folders and %year% style date fields.' },
    },
  },
  async execute({ text, filename_prefix }, ctx) {
    const target = ctx.storage.saveTarget('output', filename_prefix, 'txt');
    await writeFile(target.fullPath, text, { flag: 'wx' });
    return { ui: { text: [text], files: [{ filename: target.filename, subfolder: target.subfolder, type: target.type }] } };
  },
};
