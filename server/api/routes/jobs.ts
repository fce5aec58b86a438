// The jobs API (spec §1.6), read by ComfyUI's current frontend for its queue and history panels:
// queued, running and finished prompts as one list of jobs.
import { Router } from 'express';
import type { HistoryEntry, StatusMessage } from '../../../types/api.ts';
import type { QueuedPrompt } from '../../runtime/queue.ts';
import type { ApiContext } from '../context.ts';

const STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'cancelled'] as const;
type JobStatus = (typeof STATUSES)[number];
const MEDIA_KEYS = ['images', 'video', 'audio', '3d'];
const MODEL_3D = /\.(glb|gltf|obj|fbx|stl|ply|usdz)$/i;

export interface Job {
  id: string;
  status: JobStatus;
  priority?: number;
  create_time?: number;
  execution_start_time?: number;
  execution_end_time?: number;
  execution_error?: Record<string, unknown>;
  outputs_count?: number;
  preview_output?: Record<string, unknown>;
  workflow_id?: string;
}

class BadRequest extends Error {}

export function jobsRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/jobs', async (req, res) => {
    let query;
    try {
      query = jobsQuery(req.query as Record<string, unknown>);
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      res.status(400).json({ error: error.message });
      return;
    }
    const all = await allJobs(ctx);
    const filtered = all
      .map((j) => j.job)
      .filter((job) => (query.statuses ? query.statuses.includes(job.status) : true))
      .filter((job) => (query.workflowId ? job.workflow_id === query.workflowId : true));
    const key = query.sortBy === 'execution_duration' ? duration : (job: Job) => job.create_time ?? 0;
    filtered.sort((a, b) => (key(a) - key(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) * (query.sortOrder === 'asc' ? 1 : -1));
    const page = filtered.slice(query.offset, query.limit === undefined ? undefined : query.offset + query.limit);
    res.json({
      jobs: page,
      pagination: { offset: query.offset, limit: query.limit ?? null, total: filtered.length, has_more: query.offset + page.length < filtered.length },
    });
  });

  router.get('/jobs/:id', async (req, res) => {
    const found = (await allJobs(ctx)).find((j) => j.job.id === req.params.id);
    if (!found) {
      res.status(404).json({ error: `job ${req.params.id} not found` });
      return;
    }
    const [, , prompt, extraData] = found.entry?.prompt ?? [0, '', found.queued!.prompt, found.queued!.extraData];
    res.json({
      ...found.job,
      outputs: found.entry?.outputs ?? {},
      execution_status: found.entry?.status ?? null,
      workflow: { prompt, extra_data: extraData },
    });
  });

  return router;
}

function duration(job: Job): number {
  return job.execution_start_time !== undefined && job.execution_end_time !== undefined ? job.execution_end_time - job.execution_start_time : 0;
}

interface JobsQuery {
  statuses?: JobStatus[];
  workflowId?: string;
  sortBy: 'created_at' | 'execution_duration';
  sortOrder: 'asc' | 'desc';
  limit?: number;
  offset: number;
}

function jobsQuery(query: Record<string, unknown>): JobsQuery {
  const text = (name: string) => {
    const value = query[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw new BadRequest(`${name} must be given once`);
    return value;
  };
  const result: JobsQuery = { sortBy: 'created_at', sortOrder: 'desc', offset: 0 };
  const status = text('status');
  if (status !== undefined) {
    const statuses = status.split(',').map((s) => s.trim());
    const unknown = statuses.filter((s) => !(STATUSES as readonly string[]).includes(s));
    if (unknown.length > 0) throw new BadRequest(`invalid status ${unknown.join(', ')}; expected ${STATUSES.join(', ')}`);
    result.statuses = statuses as JobStatus[];
  }
  result.workflowId = text('workflow_id');
  const sortBy = text('sort_by');
  if (sortBy !== undefined) {
    if (sortBy !== 'created_at' && sortBy !== 'execution_duration') throw new BadRequest('sort_by must be created_at or execution_duration');
    result.sortBy = sortBy;
  }
  const sortOrder = text('sort_order');
  if (sortOrder !== undefined) {
    if (sortOrder !== 'asc' && sortOrder !== 'desc') throw new BadRequest('sort_order must be asc or desc');
    result.sortOrder = sortOrder;
  }
  const limit = text('limit');
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit.trim()) || Number(limit) <= 0) throw new BadRequest('limit must be a positive integer');
    result.limit = Number(limit);
  }
  const offset = text('offset');
  if (offset !== undefined) {
    if (!/^\s*-?\d+\s*$/.test(offset)) throw new BadRequest('offset must be an integer');
    result.offset = Math.max(0, Number(offset));
  }
  return result;
}

interface JobRecord {
  job: Job;
  entry?: HistoryEntry;
  queued?: QueuedPrompt;
}

async function allJobs(ctx: ApiContext): Promise<JobRecord[]> {
  const { running, pending } = await ctx.runner.snapshot();
  const records: JobRecord[] = [
    ...running.map((item) => ({ job: queuedJob(item, 'in_progress'), queued: item })),
    ...pending.map((item) => ({ job: queuedJob(item, 'pending'), queued: item })),
  ];
  const seen = new Set(records.map((r) => r.job.id));
  for (const [id, entry] of Object.entries(ctx.runner.history.list())) {
    if (!seen.has(id)) records.push({ job: historyJob(id, entry), entry });
  }
  return records;
}

function queuedJob(item: QueuedPrompt, status: JobStatus): Job {
  return withoutUndefined({
    id: item.promptId,
    status,
    priority: item.number,
    create_time: numberOrUndefined(item.extraData.create_time),
    workflow_id: workflowId(item.extraData),
  });
}

function historyJob(id: string, entry: HistoryEntry): Job {
  const [number, , , extraData] = entry.prompt;
  const messages = entry.status.messages;
  const find = (type: string): StatusMessage | undefined => messages.find(([name]) => name === type);
  const interrupted = find('execution_interrupted');
  const error = find('execution_error');
  const terminal = find('execution_success') ?? error ?? interrupted;
  const status: JobStatus = entry.status.status_str === 'success' ? 'completed' : interrupted ? 'cancelled' : 'failed';
  const { count, preview } = outputSummary(entry.outputs);
  return withoutUndefined({
    id,
    status,
    priority: number,
    create_time: numberOrUndefined(extraData.create_time),
    execution_start_time: numberOrUndefined(find('execution_start')?.[1].timestamp),
    execution_end_time: numberOrUndefined(terminal?.[1].timestamp),
    execution_error: error?.[1],
    outputs_count: count,
    preview_output: preview,
    workflow_id: workflowId(extraData),
  });
}

function outputSummary(outputs: HistoryEntry['outputs']): { count: number; preview?: Record<string, unknown> } {
  let count = 0;
  const previewable: Record<string, unknown>[] = [];
  for (const [nodeId, ui] of Object.entries(outputs ?? {})) {
    for (const [key, items] of Object.entries(ui ?? {})) {
      if (!Array.isArray(items)) continue;
      for (const item of items) {
        if (item === null || typeof item !== 'object') continue;
        count++;
        const record = item as Record<string, unknown>;
        const format = typeof record.format === 'string' ? record.format : '';
        const filename = typeof record.filename === 'string' ? record.filename : '';
        const mediaType = MEDIA_KEYS.includes(key) ? key : format.startsWith('video/') ? 'video' : format.startsWith('audio/') ? 'audio' : MODEL_3D.test(filename) ? '3d' : undefined;
        if (mediaType) previewable.push({ ...record, nodeId, mediaType });
      }
    }
  }
  return { count, preview: previewable.find((p) => p.type === 'output') ?? previewable[0] };
}

function workflowId(extraData: Record<string, unknown>): string | undefined {
  const pnginfo = extraData.extra_pnginfo as { workflow?: { id?: unknown } } | undefined;
  return typeof pnginfo?.workflow?.id === 'string' ? pnginfo.workflow.id : undefined;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
