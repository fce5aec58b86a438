/**
 * Runs until SIGINT or SIGTERM, then `close()`; a second signal exits at once. Resolves with the
 * exit code (1 when closing failed).
 */
export function runUntilSignal(command: string, announce: (signal: NodeJS.Signals) => string, close: () => Promise<void>): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write('Stopping now.\n');
        process.exit(130);
      }
      stopping = true;
      process.stderr.write(`${announce(signal)}\n`);
      close().then(
        () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve(0);
        },
        (error: unknown) => {
          process.stderr.write(`graph ${command}: ${(error as Error)?.stack ?? error}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
