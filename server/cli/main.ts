import { Command, CommanderError } from 'commander';
import { createRegistry } from '../host.ts';
import { convertWorkflow } from './convert.ts';
import { runWorkflow, UsageError } from './run.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function program(setExitCode: (code: number) => void): Command {
  const cli = new Command('graph')
    .description('FlashGraph: a ComfyUI-compatible node-graph runtime')
    .showHelpAfterError()
    .exitOverride();

  cli
    .command('run')
    .description('run a workflow file (API or UI format) and print the files it wrote')
    .argument('<workflow>', 'workflow JSON file')
    .option('--set <node.input=value>', 'override an input (node id or title); repeatable', collect, [])
    .option('--base-directory <dir>', 'base folder holding input/, output/, temp/, models/')
    .option('-o, --output-directory <dir>', 'where save nodes write')
    .option('--output-dir <dir>', 'alias of --output-directory')
    .option('--input-directory <dir>', 'where loaders read')
    .option('--temp-directory <dir>', 'where previews go')
    .option('--models-directory <dir>', 'model folder')
    .option('--models-dir <dir>', 'alias of --models-directory')
    .option('--json', 'print the result as JSON on stdout (no progress bars)')
    .option('--apply-control', 'apply saved control modes (randomize, increment...) to seeds before running a UI workflow')
    .option('-v, --verbose', 'include stack traces in error reports')
    .action(async (workflow: string, opts: Record<string, unknown>) => {
      setExitCode(
        await runWorkflow(workflow, {
          set: opts.set as string[],
          baseDirectory: opts.baseDirectory as string | undefined,
          outputDirectory: (opts.outputDirectory ?? opts.outputDir) as string | undefined,
          inputDirectory: opts.inputDirectory as string | undefined,
          tempDirectory: opts.tempDirectory as string | undefined,
          modelsDirectory: (opts.modelsDirectory ?? opts.modelsDir) as string | undefined,
          json: Boolean(opts.json),
          verbose: Boolean(opts.verbose),
          applyControl: Boolean(opts.applyControl),
        }),
      );
    });

  cli
    .command('convert')
    .description('convert a workflow between ComfyUI\'s UI format and API format')
    .argument('<workflow>', 'workflow JSON file (either format)')
    .requiredOption('--to <format>', 'api or ui')
    .option('-o, --output <file>', 'write here instead of stdout')
    .option('--base-directory <dir>', 'base folder whose input/ lists the files loaders offer')
    .action(async (workflow: string, opts: { to: string; output?: string; baseDirectory?: string }) => {
      setExitCode(await convertWorkflow(workflow, opts));
    });

  cli
    .command('nodes')
    .description('list the node classes')
    .option('--json', 'print /object_info as JSON')
    .action((opts: { json?: boolean }) => {
      const registry = createRegistry();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(registry.objectInfo(), null, 2)}\n`);
        return;
      }
      const info = registry.objectInfo();
      const rows = Object.values(info).sort((a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name));
      for (const node of rows) process.stdout.write(`${node.name.padEnd(28)} ${node.category.padEnd(20)} ${node.display_name}\n`);
      setExitCode(0);
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
    if (error instanceof UsageError) {
      process.stderr.write(`graph: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`graph: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
