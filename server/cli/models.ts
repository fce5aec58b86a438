// `graph models`: what is in the models folder, and downloads from a hub into it.
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import { downloadRepo, formatBytes } from '../models/download.ts';
import { FolderStorage, folderLayout } from '../storage/folders.ts';
import { writeDemoMedia } from '../../nodes/flashportrait/demo/demo-media.ts';
import { writeDemoModelSet } from '../../nodes/flashportrait/demo/demo-models.ts';
import { findMediaTools } from '../media/tools.ts';
import { UsageError } from './run.ts';

export interface ModelsOptions {
  baseDirectory?: string;
  modelsDirectory?: string;
}

function storageOf(options: ModelsOptions): FolderStorage {
  return new FolderStorage(folderLayout({ base: options.baseDirectory, models: options.modelsDirectory }));
}

export function listModels(options: ModelsOptions): number {
  const storage = storageOf(options);
  const files = storage.listFiles('models');
  if (files.length === 0) process.stdout.write(`no model files in ${storage.directory('models')}\n`);
  for (const file of files) process.stdout.write(`${file}\n`);
  return 0;
}

/** `graph models demo`: the FlashPortrait demo set under <models>/flash_portrait/. */
export function writeDemoModels(options: ModelsOptions & { seed?: string }): number {
  const seed = Number(options.seed ?? 0);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${JSON.stringify(options.seed)}`);
  const storage = storageOf(options);
  const report = writeDemoModelSet(storage.directory('models'), seed);
  process.stdout.write(`FlashPortrait demo model set (random weights: the output is noise) in ${report.directory}\n`);
  for (const file of report.files) process.stdout.write(`${file}\n`);
  // The inputs workflows/flashportrait-demo.json reads, unless the user already put their own there.
  const media = writeDemoMedia(storage.directory('input'), findMediaTools());
  for (const file of media.written) process.stdout.write(`${file}\n`);
  return 0;
}

export async function downloadModels(repo: string, options: ModelsOptions & { revision?: string; into?: string }): Promise<number> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new UsageError(`expected a repository id like "Org/Name", got ${JSON.stringify(repo)}`);
  const storage = storageOf(options);
  const folder = options.into ?? basename(repo);
  const destination = storage.resolve('models', folder);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ stream: process.stderr, format: ' {bar} {percentage}% | {done} / {size} | {file}', hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  let lastLine = -1;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    const result = await downloadRepo({
      repo,
      destination,
      revision: options.revision,
      signal: abort.signal,
      onProgress: ({ file, done, total }) => {
        if (bar) {
          if (!bar.isActive) bar.start(total, done, { done: formatBytes(done), size: formatBytes(total), file });
          bar.update(done, { done: formatBytes(done), size: formatBytes(total), file });
        } else {
          const tenth = Math.floor((done / Math.max(total, 1)) * 10);
          if (tenth !== lastLine) {
            lastLine = tenth;
            process.stderr.write(`${repo}: ${formatBytes(done)} / ${formatBytes(total)}\n`);
          }
        }
      },
    });
    bar?.stop();
    process.stdout.write(`${destination}: ${result.files.length} files (${formatBytes(result.downloadedBytes)} downloaded, ${result.skippedFiles} already complete)\n`);
    return 0;
  } finally {
    bar?.stop();
    process.off('SIGINT', onSignal);
  }
}
