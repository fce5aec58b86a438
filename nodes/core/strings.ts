import type { NodeDefinition } from '../../server/runtime/schema.ts';

export const StringConcatenate: NodeDefinition = {
  type: 'StringConcatenate',
  displayName: 'Concatenate',
  category: 'utils/string',
  inputs: {
    required: {
      string_a: { type: 'STRING', multiline: true },
      string_b: { type: 'STRING', multiline: true },
      delimiter: { type: 'STRING', multiline: false, default: '' },
    },
  },
  outputs: [{ type: 'STRING' }],
  execute: ({ string_a, string_b, delimiter }) => [`${string_a}${delimiter}${string_b}`],
};

/** How any value reads as text: strings as they are, numbers printed, the rest as JSON. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
