// Pure helpers for combo values in the editor (no litegraph, no DOM: unit-tested in tests/editor):
// ComfyUI's remote combos (`remote: {route, refresh_button, control_after_refresh}`) and the
// files combo values name.
import type { FileRef } from '../../types/api.ts';

/** ComfyUI's `remote` combo option: the list comes from a route, refreshed by a button. */
export interface RemoteSpec {
  route: string;
  refresh_button?: boolean;
  control_after_refresh?: 'first' | 'last' | string;
  response_key?: string;
}

/** The combo values a remote route answered: a list, or the list under `response_key`; strings as they are, others by their JSON. */
export function remoteValues(body: unknown, spec: Pick<RemoteSpec, 'response_key'>): string[] {
  const list = spec.response_key && typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[spec.response_key] : body;
  if (!Array.isArray(list)) return [];
  return list.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

/** The file a combo value names: `sub/x.png` in input/, `x.png [output]` in output/ (ComfyUI's annotated names). */
export function comboFile(value: string): FileRef {
  const annotated = /^(.*) \[(input|output|temp)\]$/.exec(value);
  const path = annotated ? annotated[1]! : value;
  const slash = path.lastIndexOf('/');
  return { filename: path.slice(slash + 1), subfolder: slash >= 0 ? path.slice(0, slash) : '', type: (annotated?.[2] ?? 'input') as FileRef['type'] };
}

/** A combo input's `remote` option, when it has a route. */
export function remoteSpec(spec: Record<string, unknown>): RemoteSpec | undefined {
  const remote = spec.remote as RemoteSpec | undefined;
  return typeof remote === 'object' && remote !== null && typeof remote.route === 'string' ? remote : undefined;
}
