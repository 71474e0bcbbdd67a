// Errors the engine raises. Each says what happened, to whom, and at what simulated time.

/** Thrown into a process at the yield it was waiting on when another process interrupts it. */
export class Interrupt extends Error {
  constructor(override readonly cause: unknown) {
    super(`interrupted: ${String(cause)}`);
    this.name = 'Interrupt';
  }
}

/** A process threw: the run fails, naming the process and the simulated time. */
export class ProcessFailure extends Error {
  constructor(readonly processName: string, readonly timeNs: number, readonly error: unknown) {
    super(`process ${processName} failed at t=${timeNs} ns: ${error instanceof Error ? error.message : String(error)}`);
    this.name = 'ProcessFailure';
  }
}

/** One process that can never proceed, and what it waits on. */
export interface BlockedProcess {
  name: string;
  waitsOn: string;
}

/** No event is pending but processes are still blocked: each is named with what it waits on. */
export class StallError extends Error {
  constructor(readonly timeNs: number, readonly blocked: BlockedProcess[]) {
    super(`stall at t=${timeNs} ns: ${blocked.length} process(es) blocked forever: ` +
      blocked.map((b) => `${b.name} waits on ${b.waitsOn}`).join('; '));
    this.name = 'StallError';
  }
}
