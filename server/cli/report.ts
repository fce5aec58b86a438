// Human-readable reports for the terminal: validation failures and node errors.
import type { ApiPrompt, ExecutionErrorData, NodeErrors, ValidationError } from '../../types/api.ts';

function nodeLabel(prompt: ApiPrompt | undefined, id: string, classType: string): string {
  const title = prompt?.[id]?._meta?.title;
  return title && title !== classType ? `#${id} ${classType} "${title}"` : `#${id} ${classType}`;
}

export function formatValidationFailure(error: ValidationError, nodeErrors: NodeErrors, prompt?: ApiPrompt): string {
  const lines = [`Prompt is invalid: ${error.message}${error.details && Object.keys(nodeErrors).length === 0 ? ` (${error.details})` : ''}`];
  for (const [id, entry] of Object.entries(nodeErrors)) {
    lines.push(`  ${nodeLabel(prompt, id, entry.class_type)}:`);
    for (const e of entry.errors) {
      const input = typeof e.extra_info.input_name === 'string' && e.extra_info.input_name ? `input "${e.extra_info.input_name}": ` : '';
      lines.push(`    - ${input}${e.message}${e.details ? ` [${e.details}]` : ''} (${e.type})`);
    }
  }
  return lines.join('\n');
}

export function formatExecutionError(error: ExecutionErrorData, prompt?: ApiPrompt, verbose = false): string {
  const lines = [`Error in node ${nodeLabel(prompt, error.node_id, error.node_type)}: ${error.exception_type}: ${error.exception_message.trim()}`];
  const inputs = Object.entries(error.current_inputs);
  if (inputs.length > 0) {
    lines.push('  inputs:');
    for (const [name, values] of inputs) lines.push(`    ${name} = ${values.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  if (verbose && error.traceback.length > 0) lines.push('  traceback:', ...error.traceback.map((l) => `    ${l.trimEnd()}`));
  return lines.join('\n');
}
