import { describe, expect, it } from 'vitest';
import { mapWidgetValues, uiToApi, widgetSlots } from '../../server/workflow/index.ts';
import { objectInfo } from './helpers.ts';

/** Converts one node with the given widget values and returns its API inputs. */
function inputsOf(type: string, widgets_values: unknown, inputs: unknown[] = []): Record<string, unknown> {
  const { prompt } = uiToApi({ nodes: [{ id: 1, type, mode: 0, inputs, widgets_values }], links: [], version: 0.4 }, objectInfo);
  return prompt['1']!.inputs;
}

describe('widget mapping (spec §5.4)', () => {
  it('derives widget positions from object_info: control after seeds, uploads after required widgets', () => {
    const kinds = (type: string) => widgetSlots(objectInfo[type]!).map((s) => `${s.kind}:${s.name}`);
    expect(kinds('KSampler')).toEqual(['value:seed', 'control:seed', 'value:steps', 'value:cfg', 'value:sampler_name', 'value:scheduler', 'value:denoise']);
    expect(kinds('KSamplerAdvanced').slice(0, 4)).toEqual(['value:add_noise', 'value:noise_seed', 'control:noise_seed', 'value:steps']);
    expect(kinds('LoadImageMask')).toEqual(['value:image', 'value:channel', 'upload:image']);
    expect(kinds('LoadAudio')).toEqual(['value:audio', 'upload:audio', 'upload:audio']);
    expect(kinds('PrimitiveInt')).toEqual(['value:value', 'control:value']);
    expect(kinds('TestWidgets')).toEqual(['value:points', 'value:style', 'control:style', 'filter:style', 'value:strength', 'control:strength', 'value:note']);
  });

  it('skips control values in every form: mode strings, legacy booleans, or none at all', () => {
    const expected = { seed: 7, steps: 30, cfg: 6.5, sampler_name: 'dpmpp_2m', scheduler: 'karras', denoise: 0.5 };
    expect(inputsOf('KSampler', [7, 'randomize', 30, 6.5, 'dpmpp_2m', 'karras', 0.5])).toEqual(expected);
    expect(inputsOf('KSampler', [7, false, 30, 6.5, 'dpmpp_2m', 'karras', 0.5])).toEqual(expected);
    expect(inputsOf('KSampler', [7, 30, 6.5, 'dpmpp_2m', 'karras', 0.5])).toEqual(expected);
  });

  it('recognises seed widgets by name when object_info has no control_after_generate', () => {
    expect(inputsOf('KSamplerAdvanced', ['enable', 99, 'increment', 25, 7, 'euler', 'normal', 0, 10000, 'disable'])).toEqual({
      add_noise: 'enable',
      noise_seed: 99,
      steps: 25,
      cfg: 7,
      sampler_name: 'euler',
      scheduler: 'normal',
      start_at_step: 0,
      end_at_step: 10000,
      return_with_leftover_noise: 'disable',
    });
  });

  it('skips upload helper values (one for images and videos, two for audio)', () => {
    expect(inputsOf('LoadImage', ['portrait.png', 'image'])).toEqual({ image: 'portrait.png' });
    expect(inputsOf('LoadImageMask', ['portrait.png', 'red', 'image'])).toEqual({ image: 'portrait.png', channel: 'red' });
    expect(inputsOf('LoadAudio', ['voice.wav', null, ''])).toEqual({ audio: 'voice.wav' });
    expect(inputsOf('LoadVideo', ['clip.mp4', 'image'])).toEqual({ file: 'clip.mp4' });
  });

  it('maps object-form widgets_values by name and fills in defaults and first combo options', () => {
    expect(inputsOf('KSampler', { seed: 3, cfg: 2 })).toEqual({ seed: 3, steps: 20, cfg: 2, sampler_name: 'euler', scheduler: 'normal', denoise: 1 });
    expect(inputsOf('SaveVideo', undefined)).toEqual({ filename_prefix: 'video/ComfyUI', format: 'auto', codec: 'auto' });
    expect(inputsOf('CheckpointLoaderSimple', [])).toEqual({ ckpt_name: 'v1-5-pruned-emaonly-fp16.safetensors' });
  });

  it('wraps list values as {__value__} and handles a combo control with its filter and optional widgets', () => {
    expect(inputsOf('TestWidgets', [[[0, 0], [1, 1]], 'b', 'increment', 'c', 0.75, 'fixed', 'hello'])).toEqual({
      points: { __value__: [[0, 0], [1, 1]] },
      style: 'b',
      strength: 0.75,
      note: 'hello',
    });
    // Without the filter value (older editors), the optional widget still gets its own value.
    expect(inputsOf('TestWidgets', [[], 'b', 'fixed', 0.25, 'fixed', 'hi'])).toMatchObject({ strength: 0.25, note: 'hi' });
  });

  it('a linked widget socket takes its link; its saved value still occupies its position', () => {
    const { prompt } = uiToApi(
      {
        nodes: [
          { id: 1, type: 'PrimitiveInt', widgets_values: [5, 'fixed'], outputs: [{ name: 'INT', type: 'INT', links: [1] }] },
          {
            id: 2,
            type: 'KSampler',
            inputs: [{ name: 'steps', type: 'INT', widget: { name: 'steps' }, link: 1 }],
            widgets_values: [1, 'fixed', 99, 8, 'euler', 'normal', 1],
          },
        ],
        links: [[1, 1, 0, 2, 0, 'INT']],
      },
      objectInfo,
    );
    expect(prompt['2']!.inputs).toEqual({ seed: 1, steps: ['1', 0], cfg: 8, sampler_name: 'euler', scheduler: 'normal', denoise: 1 });
  });

  it('reports where each value came from, for editors and control application', () => {
    const mapped = mapWidgetValues(widgetSlots(objectInfo.KSampler!), [5, 'decrement', 20]);
    expect(mapped.map((m) => [m.slot.name, m.at, m.present])).toEqual([
      ['seed', 0, true],
      ['steps', 2, true],
      ['cfg', undefined, false],
      ['sampler_name', undefined, false],
      ['scheduler', undefined, false],
      ['denoise', undefined, false],
    ]);
    expect(mapped[0]!.control).toEqual({ mode: 'decrement', at: 1 });
  });
});
