// `graph worker`: runs prompts from a Redis queue until SIGINT or SIGTERM.
import { prepareHost, type HostOptions } from '../host.ts';
import { formatImportTimes } from '../packs/loader.ts';
import { parseQueueUrl, QueueUrlError } from '../scaleout/redis-queue.ts';
import { GraphWorker } from '../scaleout/worker.ts';
import { UsageError } from './run.ts';
import { runUntilSignal } from './signals.ts';
import { cachePolicy } from './serve.ts';

export interface WorkerCliOptions {
  queue?: string;
  device?: string;
  concurrency?: string;
  name?: string;
  folders?: HostOptions['folders'];
  packs?: HostOptions['packs'];
  cacheLru?: string;
  cacheNone?: boolean;
}

export async function runWorker(options: WorkerCliOptions): Promise<number> {
  if (!options.queue) throw new UsageError('graph worker needs --queue redis://host:port/db');
  let config;
  try {
    config = parseQueueUrl(options.queue);
  } catch (error) {
    if (error instanceof QueueUrlError) throw new UsageError(error.message);
    throw error;
  }
  const concurrency = options.concurrency === undefined ? 1 : Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency expects a whole number >= 1, got ${JSON.stringify(options.concurrency)}`);
  const cache = cachePolicy(options);
  const { registry, storage, packs } = await prepareHost({ folders: options.folders, packs: options.packs });
  process.stderr.write(`${formatImportTimes(packs)}\n`);
  const worker = new GraphWorker({
    config,
    registry,
    storage,
    id: options.name,
    concurrency,
    device: options.device,
    cache,
    log: (message) => process.stderr.write(`${message}\n`),
  });
  await worker.start();
  process.stdout.write(`FlashGraph worker ${worker.id} on redis://${config.connection.host}:${config.connection.port}/${config.connection.db} (concurrency ${concurrency}${options.device ? `, device ${options.device}` : ''})\n`);

  // A second signal stops at once: the running prompt's lock lapses and another worker runs it again.
  return runUntilSignal('worker', (signal) => `${signal}: finishing the running prompt(s); again to stop now...`, () => worker.close());
}
