// `rmsim run ... | head` closes the pipe early: that is the reader's choice, not an error, so
// end quietly instead of printing an EPIPE stack trace (outputs are already on disk by then).
export function exitQuietlyOnClosedStdout(): void {
  if (process.stdout.listenerCount('error') > 0) return;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(Number(process.exitCode ?? 0));
    throw err;
  });
}
