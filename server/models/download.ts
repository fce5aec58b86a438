// Downloads model repositories from a Hugging Face hub (or a mirror: HF_ENDPOINT) into a local
// folder: resumable, verified, never leaving a partial file under a final name.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { downloadFile, listFiles, type ListFileEntry } from '@huggingface/hub';
import { resolveInside } from '../storage/safe-path.ts';
import { writeStreamNoFollow } from '../storage/safe-write.ts';

export interface DownloadProgress {
  file: string;
  /** Bytes of the whole repository present so far (resumed bytes included). */
  done: number;
  total: number;
}

export interface RepoDownloadOptions {
  repo: string;
  destination: string;
  revision?: string;
  /** Hub address; default HF_ENDPOINT, else huggingface.co. */
  endpoint?: string;
  /** Access token for gated repositories; default HF_TOKEN. */
  token?: string;
  /** Only files whose repository path passes this test. */
  include?: (path: string) => boolean;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Free bytes at a path (replaceable in tests). */
  freeBytes?: (path: string) => number;
}

export interface RepoDownloadResult {
  files: string[];
  downloadedBytes: number;
  skippedFiles: number;
}

export class DownloadError extends Error {
  override name = 'DownloadError';
}

/** Partial downloads carry this suffix until verified, so they are never taken for a model file. */
export const PARTIAL_SUFFIX = '.partial';

export function defaultEndpoint(): string {
  return process.env.HF_ENDPOINT?.replace(/\/+$/, '') || 'https://huggingface.co';
}

export async function downloadRepo(options: RepoDownloadOptions): Promise<RepoDownloadResult> {
  const endpoint = options.endpoint ?? defaultEndpoint();
  const credentials = tokenOf(options);
  const revision = options.revision ?? 'main';
  let entries: ListFileEntry[];
  try {
    entries = [];
    for await (const entry of listFiles({ repo: options.repo, revision, recursive: true, hubUrl: endpoint, ...credentials })) {
      if (entry.type === 'file' && (options.include?.(entry.path) ?? true)) entries.push(entry);
    }
  } catch (error) {
    throw new DownloadError(`cannot list ${options.repo} on ${endpoint}: ${describeError(error)}${credentials.accessToken ? '' : ' (gated repositories need HF_TOKEN)'}`);
  }
  if (entries.length === 0) throw new DownloadError(`${options.repo} on ${endpoint} has no files to download`);

  const total = entries.reduce((sum, e) => sum + e.size, 0);
  const targets = entries.map((entry) => ({ entry, path: resolveInside(options.destination, entry.path, `file of ${options.repo}`) }));
  const missing = targets.filter(({ entry, path }) => !isComplete(path, entry));
  const needed = missing.reduce((sum, { entry, path }) => sum + entry.size - partialSize(path), 0);
  mkdirSync(options.destination, { recursive: true });
  const free = (options.freeBytes ?? freeBytes)(options.destination);
  if (needed > free) {
    throw new DownloadError(`${options.repo} needs ${formatBytes(needed)} more in ${options.destination}, but only ${formatBytes(free)} are free`);
  }

  let done = total - needed;
  let downloadedBytes = 0;
  options.onProgress?.({ file: '', done, total });
  for (const { entry, path } of missing) {
    const written = await downloadOne(options, endpoint, revision, entry, path, (bytes) => {
      done += bytes;
      options.onProgress?.({ file: entry.path, done, total });
    });
    downloadedBytes += written;
  }
  return { files: targets.map((t) => t.path), downloadedBytes, skippedFiles: targets.length - missing.length };
}

function tokenOf(options: RepoDownloadOptions): { accessToken?: string } {
  const token = options.token ?? process.env.HF_TOKEN;
  return token ? { accessToken: token } : {};
}

/** A final file of the expected size counts as complete (it was verified before its rename). */
function isComplete(path: string, entry: ListFileEntry): boolean {
  return existsSync(path) && statSync(path).size === entry.size;
}

function partialSize(path: string): number {
  const partial = path + PARTIAL_SUFFIX;
  return existsSync(partial) ? statSync(partial).size : 0;
}

/** Downloads one file to `<path>.partial` (continuing what is there), verifies it, renames it. */
async function downloadOne(
  options: RepoDownloadOptions,
  endpoint: string,
  revision: string,
  entry: ListFileEntry,
  path: string,
  onBytes: (bytes: number) => void,
): Promise<number> {
  const partial = path + PARTIAL_SUFFIX;
  mkdirSync(dirname(path), { recursive: true });
  let written = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    let offset = partialSize(path);
    if (offset > entry.size) {
      rmSync(partial);
      offset = 0;
    }
    if (offset < entry.size) {
      const blob = await downloadFile({ repo: options.repo, path: entry.path, revision, hubUrl: endpoint, ...tokenOf(options) });
      if (!blob) throw new DownloadError(`${options.repo}/${entry.path} disappeared from ${endpoint}`);
      const body = Readable.fromWeb(blob.slice(offset).stream() as import('node:stream/web').ReadableStream);
      // Appending never follows a link planted under the partial name.
      const out = await writeStreamNoFollow(partial, 'append').catch((error: unknown) => {
        body.destroy();
        throw new DownloadError(`cannot write ${partial}: ${describeError(error)}`);
      });
      const count = async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          written += chunk.length;
          onBytes(chunk.length);
          yield chunk;
        }
      };
      try {
        await pipeline(body, count, out, { signal: options.signal });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw new DownloadError(`download of ${options.repo}/${entry.path} broke off at ${formatBytes(offset + written)}: ${describeError(error)}; run again to resume`);
      }
    }
    const problem = await verify(partial, entry);
    if (!problem) {
      renameSync(partial, path);
      return written;
    }
    // A damaged partial file (e.g. bytes changed on disk) is discarded and fetched once more.
    rmSync(partial, { force: true });
    if (attempt === 1) throw new DownloadError(`${options.repo}/${entry.path}: ${problem}`);
  }
  return written;
}

async function verify(path: string, entry: ListFileEntry): Promise<string | undefined> {
  const size = statSync(path).size;
  if (size !== entry.size) return `expected ${entry.size} bytes, got ${size}`;
  const expected = entry.lfs?.oid;
  if (!expected) return undefined;
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  const actual = hash.digest('hex');
  return actual === expected ? undefined : `SHA-256 ${actual} does not match the hub's ${expected}`;
}

function freeBytes(path: string): number {
  const stats = statfsSync(path);
  return stats.bavail * stats.bsize;
}

/** fetch() reports "fetch failed" and hides the reason (refused, reset, DNS) in `cause`. */
function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  return cause ? `${message} (${cause})` : message;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
