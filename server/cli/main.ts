import { Command, CommanderError } from 'commander';
import { DEVICE_ENV, loadRegistry, type HostOptions } from '../host.ts';
import { applyDeviceSetting, parseDeviceFlag } from '../ml/device.ts';
import { formatImportTimes } from '../packs/loader.ts';
import { folderLayout } from '../storage/folders.ts';
import { runWorkflow, UsageError } from './run.ts';
import type { ServeOptions } from './serve.ts';
import type { WorkerCliOptions } from './worker.ts';

// The other commands' modules load when their command runs: the server, queue and download
// libraries would add about 85 MB to the RSS of every `graph run`.
const convertWorkflow: typeof import('./convert.ts').convertWorkflow = async (...args) => (await import('./convert.ts')).convertWorkflow(...args);
const serve: typeof import('./serve.ts').serve = async (...args) => (await import('./serve.ts')).serve(...args);
const runWorker: typeof import('./worker.ts').runWorker = async (...args) => (await import('./worker.ts')).runWorker(...args);
const modelCommands = () => import('./models.ts');

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

type Options = Record<string, unknown>;

/** ComfyUI's folder flags, shared by every command that runs nodes. */
function withFolderOptions(command: Command): Command {
  return command
    .option('--base-directory <dir>', 'base folder holding input/, output/, temp/, models/, custom_nodes/')
    .option('-o, --output-directory <dir>', 'where save nodes write')
    .option('--output-dir <dir>', 'alias of --output-directory')
    .option('--input-directory <dir>', 'where loaders read')
    .option('--temp-directory <dir>', 'where previews go')
    .option('--models-directory <dir>', 'model folder')
    .option('--models-dir <dir>', 'alias of --models-directory');
}

/** ComfyUI's custom node flags. */
function withPackOptions(command: Command): Command {
  return command
    .option('--custom-nodes-directory <dir>', 'folder of third-party node packs (default <base>/custom_nodes)')
    .option('--disable-all-custom-nodes', 'load no third-party pack (except whitelisted ones)')
    .option('--whitelist-custom-nodes <packs...>', 'packs to load even with --disable-all-custom-nodes');
}

/** ComfyUI's device flags. */
function withDeviceOptions(command: Command): Command {
  return command
    .option('--cpu', 'run every network on the CPU (ComfyUI\'s --cpu)')
    .option('--cuda-device <N>', 'use only CUDA device N (sets CUDA_VISIBLE_DEVICES, as ComfyUI does)');
}

/**
 * Makes --cpu / --cuda-device / --device take effect for this process: nodes asked to pick a device
 * ('auto') get it through the host's `device` service (FLASHGRAPH_DEVICE).
 */
function applyDeviceOptions(opts: Options): void {
  let setting;
  try {
    if (opts.cudaDevice !== undefined) applyDeviceSetting(parseDeviceFlag(`cuda:${String(opts.cudaDevice)}`));
    if (opts.cpu) setting = parseDeviceFlag('cpu');
    else if (typeof opts.device === 'string') setting = parseDeviceFlag(opts.device);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!setting) return;
  applyDeviceSetting(setting);
  process.env[DEVICE_ENV] = setting.provider;
}

function folders(opts: Options): HostOptions['folders'] {
  return {
    base: opts.baseDirectory as string | undefined,
    output: (opts.outputDirectory ?? opts.outputDir) as string | undefined,
    input: opts.inputDirectory as string | undefined,
    temp: opts.tempDirectory as string | undefined,
    models: (opts.modelsDirectory ?? opts.modelsDir) as string | undefined,
  };
}

function packs(opts: Options): HostOptions['packs'] {
  return {
    customNodesDirectory: opts.customNodesDirectory as string | undefined,
    disableAllCustomNodes: Boolean(opts.disableAllCustomNodes),
    whitelist: (opts.whitelistCustomNodes as string[] | undefined) ?? [],
  };
}

function program(setExitCode: (code: number) => void): Command {
  const cli = new Command('graph')
    .description('FlashGraph: a ComfyUI-compatible node-graph runtime')
    .showHelpAfterError()
    .exitOverride();

  withDeviceOptions(withPackOptions(withFolderOptions(cli.command('run'))))
    .description('run a workflow file (API or UI format) and print the files it wrote')
    .argument('<workflow>', 'workflow JSON file')
    .option('--set <node.input=value>', 'override an input (node id or title); repeatable', collect, [])
    .option('--json', 'print the result as JSON on stdout (no progress bars)')
    .option('--apply-control', 'apply saved control modes (randomize, increment...) to seeds before running a UI workflow')
    .option('-v, --verbose', 'include stack traces in error reports')
    .action(async (workflow: string, opts: Options) => {
      applyDeviceOptions(opts);
      setExitCode(
        await runWorkflow(workflow, {
          set: opts.set as string[],
          folders: folders(opts),
          packs: packs(opts),
          json: Boolean(opts.json),
          verbose: Boolean(opts.verbose),
          applyControl: Boolean(opts.applyControl),
        }),
      );
    });

  withPackOptions(cli.command('convert'))
    .description("convert a workflow between ComfyUI's UI format and API format")
    .argument('<workflow>', 'workflow JSON file (either format)')
    .requiredOption('--to <format>', 'api or ui')
    .option('-o, --output <file>', 'write here instead of stdout')
    .option('--base-directory <dir>', 'base folder: its input/ lists the files loaders offer, its custom_nodes/ the packs')
    .action(async (workflow: string, opts: Options) => {
      setExitCode(await convertWorkflow(workflow, { to: opts.to as string, output: opts.output as string | undefined, baseDirectory: opts.baseDirectory as string | undefined, packs: packs(opts) }));
    });

  withPackOptions(cli.command('nodes'))
    .description('list the node packs and node classes')
    .option('--base-directory <dir>', 'base folder (its custom_nodes/ holds third-party packs)')
    .option('--json', 'print /object_info as JSON')
    .action(async (opts: Options) => {
      const { registry, packs: reports } = await loadRegistry(folderLayout({ base: opts.baseDirectory as string | undefined }), packs(opts));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(registry.objectInfo(), null, 2)}\n`);
        return;
      }
      process.stdout.write(`${formatImportTimes(reports)}\n\n`);
      const info = registry.objectInfo();
      const rows = Object.values(info).sort((a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name));
      for (const node of rows) {
        process.stdout.write(`${node.name.padEnd(28)} ${node.category.padEnd(20)} ${node.display_name.padEnd(24)} ${registry.packOf(node.name)?.name}\n`);
      }
    });

  withDeviceOptions(withPackOptions(withFolderOptions(cli.command('serve'))))
    .description('serve the HTTP/WebSocket API (ComfyUI-compatible) and run the queue')
    .option('--port <port>', 'port to listen on (0: any free port)', '8188')
    .option('--listen [address]', 'address to bind (default 127.0.0.1; alone: 0.0.0.0, all interfaces)')
    .option('--max-upload-size <MB>', 'largest request body in MB', '100')
    .option('--token <token>', 'require this token on every request and socket')
    .option('--enable-cors-header [origin]', 'send CORS headers for this origin (alone: *) instead of the same-origin check')
    .option('--allowed-host <name>', 'also accept requests whose Host is this name (.example.org: and its subdomains); repeatable', collect, [])
    .option('--cache-lru <N>', 'keep the results of the last N prompts')
    .option('--cache-none', 'keep no results between prompts')
    .option('--queue <redis-url>', 'keep the queue in Redis (redis://host:port/db) for `graph worker` processes')
    .option('--no-local-worker', 'with --queue: run no prompts in this process (a pure front door)')
    .option('--advertise-url <url>', 'with --queue: the URL workers send output files to')
    .option('--multi-user', 'one settings/workflows folder per user, picked by the Comfy-User header (not authentication)')
    .option('--front-end-root <dir>', "serve this frontend build (e.g. ComfyUI's official frontend) instead of the built-in editor")
    .action(async (opts: Options) => {
      applyDeviceOptions(opts);
      setExitCode(await serve({ ...(opts as ServeOptions), folders: folders(opts), packs: packs(opts) }, process.argv.slice(2)));
    });

  const models = cli.command('models').description('list and download model files');
  models
    .command('list', { isDefault: true })
    .description('list the files in the models folder')
    .option('--base-directory <dir>', 'base folder (holds models/)')
    .option('--models-directory <dir>', 'model folder')
    .action(async (opts: Options) => setExitCode((await modelCommands()).listModels(opts)));
  models
    .command('download')
    .description('download a model repository from the Hugging Face hub (HF_ENDPOINT, HF_TOKEN honoured); resumable')
    .argument('<repo>', 'repository id, e.g. Wan-AI/Wan2.1-I2V-14B-720P')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--into <folder>', 'folder under models/ (default: the repository name)')
    .option('--base-directory <dir>', 'base folder (holds models/)')
    .option('--models-directory <dir>', 'model folder')
    .action(async (repo: string, opts: Options) => setExitCode(await (await modelCommands()).downloadModels(repo, opts)));
  models
    .command('demo')
    .description('write a tiny random-weight FlashPortrait model set (released layout) for trying workflows; its output is noise')
    .option('--seed <N>', 'seed of the random weights', '0')
    .option('--base-directory <dir>', 'base folder (holds models/)')
    .option('--models-directory <dir>', 'model folder')
    .action(async (opts: Options) => setExitCode((await modelCommands()).writeDemoModels(opts)));

  withPackOptions(withFolderOptions(cli.command('worker')))
    .description('run prompts from a Redis queue (graph serve --queue ...)')
    .option('--queue <redis-url>', 'the queue: redis://host:port/db')
    .option('--device <device>', 'device this worker runs on: auto, cpu, webgpu, cuda or cuda:N (N = the only CUDA GPU it sees)')
    .option('--concurrency <N>', 'prompts run at once', '1')
    .option('--name <id>', 'worker id (default: host-pid-random)')
    .option('--cache-lru <N>', 'keep the results of the last N prompts')
    .option('--cache-none', 'keep no results between prompts')
    .action(async (opts: Options) => {
      applyDeviceOptions(opts);
      setExitCode(await runWorker({ ...(opts as WorkerCliOptions), folders: folders(opts), packs: packs(opts) }));
    });

  return cli;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  try {
    await program((c) => (code = c)).parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof UsageError || (error instanceof Error && error.name === 'DownloadError')) {
      process.stderr.write(`graph: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`graph: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
