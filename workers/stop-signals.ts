// SIGINT and SIGTERM, to the process or its group, any number of times: the first starts a clean
// stop, later ones only say it is under way. Installed before anything else loads, so a Ctrl-C
// during start-up is a clean stop too (the Temporal SDK's own handlers are turned off).

/** Thrown between start-up steps when a stop was asked for meanwhile. */
export class StopRequested extends Error {}

export interface StopSignals {
  /** Between start-up steps: stop starting things once a stop was asked for. */
  check(): void;
  /** What a stop does once the system runs (called at once if a stop was asked for already). */
  onStop(callback: () => void): void;
}

export function listenForStop(): StopSignals {
  let requested = false;
  let onStop = () => {};
  const handle = (signal: NodeJS.Signals) => {
    if (requested) return console.log(`${signal} again: still stopping (waiting for running tasks)`);
    requested = true;
    console.log(`${signal}: stopping…`);
    onStop();
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  return {
    check() {
      if (requested) throw new StopRequested();
    },
    onStop(callback) {
      onStop = callback;
      if (requested) callback();
    },
  };
}
