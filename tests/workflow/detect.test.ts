import { describe, expect, it } from 'vitest';
import { detectWorkflow, toApiPrompt, WorkflowError } from '../../server/workflow/index.ts';
import { fixture, objectInfo } from './helpers.ts';

describe('format detection', () => {
  const api = { '1': { class_type: 'PrimitiveInt', inputs: { value: 1 } } };

  it('tells API prompts, {prompt} wrappers and UI workflows apart', () => {
    expect(detectWorkflow(api)).toEqual({ format: 'api', prompt: api });
    expect(detectWorkflow({ prompt: api, client_id: 'x' })).toEqual({ format: 'api', prompt: api });
    const ui = fixture('default-graph.json');
    expect(detectWorkflow(ui)).toEqual({ format: 'ui', workflow: ui });
    expect(detectWorkflow({ prompt: ui })).toEqual({ format: 'ui', workflow: ui });
  });

  it('leaves a prompt with one bad node to validation, and rejects what is neither format', () => {
    expect(detectWorkflow({ ...api, '2': { inputs: {} } }).format).toBe('api');
    expect(() => detectWorkflow({ a: 1 })).toThrow(WorkflowError);
    expect(() => detectWorkflow('text')).toThrow(/does not hold a workflow object/);
    expect(() => detectWorkflow(null)).toThrow(WorkflowError);
  });

  it('converts UI workflows and passes API prompts through', () => {
    expect(toApiPrompt({ format: 'api', prompt: api }, objectInfo).prompt).toBe(api);
    expect(Object.keys(toApiPrompt(detectWorkflow(fixture('video-pipeline.json')), objectInfo).prompt)).toEqual(['10', '11', '12', '13', '14']);
  });
});
