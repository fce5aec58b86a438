// The workflows saved on the server, through ComfyUI's /userdata routes, with the paths and
// options ComfyUI's frontend uses (v1.27.10 src/scripts/api.ts storeUserData/listUserDataFullInfo/
// moveUserData/deleteUserData, src/stores/userFileStore.ts), so either frontend sees the other's
// files: `workflows/<name>.json` in the user's folder, the name encoded as one path segment.
import type { ServerApi } from './api.ts';

export const WORKFLOWS_DIR = 'workflows';

/** A saved workflow: its path below workflows/ ("portrait.json", "tests/a.json"). */
export interface StoredWorkflow {
  path: string;
  size: number;
  /** Seconds since the epoch, as ComfyUI's FileInfo gives it. */
  modified: number;
}

export class WorkflowExistsError extends Error {}

/** "my flow" -> "my flow.json" (ComfyUI's appendJsonExt). */
export function withJsonExtension(name: string): string {
  return name.toLowerCase().endsWith('.json') ? name : `${name}.json`;
}

/** "tests/a.json" -> "a" (what a tab shows). */
export function displayName(path: string): string {
  return path.split('/').pop()!.replace(/\.json$/i, '');
}

export class WorkflowStore {
  constructor(private readonly api: ServerApi) {}

  private fileUrl(path: string, query = ''): string {
    return this.api.url(`/userdata/${encodeURIComponent(`${WORKFLOWS_DIR}/${path}`)}${query}`);
  }

  private async fail(response: Response, what: string): Promise<never> {
    let reason = `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { error?: unknown };
      if (typeof body.error === 'string') reason = body.error;
    } catch {
      // A body that is no JSON: the status says enough.
    }
    throw new Error(`${what}: ${reason}`);
  }

  /** Every .json file below workflows/ (none when the folder does not exist yet). */
  async list(): Promise<StoredWorkflow[]> {
    const response = await fetch(this.api.url(`/userdata?dir=${WORKFLOWS_DIR}&recurse=true&split=false&full_info=true`), { cache: 'no-store' });
    if (response.status === 404) return [];
    if (!response.ok) return this.fail(response, 'Could not list the saved workflows');
    const files = (await response.json()) as StoredWorkflow[];
    return files.filter((file) => file.path.toLowerCase().endsWith('.json')).sort((a, b) => a.path.localeCompare(b.path));
  }

  async read(path: string): Promise<unknown> {
    const response = await fetch(this.fileUrl(path), { cache: 'no-store' });
    if (!response.ok) return this.fail(response, `Could not open ${path}`);
    return JSON.parse(await response.text()) as unknown;
  }

  /** Saves as ComfyUI does: the workflow JSON as the body, `overwrite` and `full_info=true`. */
  async write(path: string, workflow: unknown, overwrite: boolean): Promise<StoredWorkflow> {
    const response = await fetch(this.fileUrl(path, `?overwrite=${overwrite}&full_info=true`), { method: 'POST', body: JSON.stringify(workflow) });
    if (response.status === 409) throw new WorkflowExistsError(path);
    if (!response.ok) return this.fail(response, `Could not save ${path}`);
    return (await response.json()) as StoredWorkflow;
  }

  async move(from: string, to: string): Promise<void> {
    const destination = encodeURIComponent(`${WORKFLOWS_DIR}/${to}`);
    const response = await fetch(this.fileUrl(from, `/move/${destination}?overwrite=false`), { method: 'POST' });
    if (response.status === 409) throw new WorkflowExistsError(to);
    if (!response.ok) return this.fail(response, `Could not rename ${from}`);
  }

  async remove(path: string): Promise<void> {
    const response = await fetch(this.fileUrl(path), { method: 'DELETE' });
    if (response.status !== 204) return this.fail(response, `Could not delete ${path}`);
  }
}
