// One instance of an application that wraps operations with a shared circuit breaker, as its own
// process (test/support/app-process.ts forks it): its client, its operations calling a fake
// dependency over HTTP, and its own worker on the application's task queue. The test drives it
// over IPC: make calls, cut it off from the dependency (a partition: only its calls fail).
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { CircuitOpenError } from '../../client/circuit-breaker.js';
import { SelfHealing, type HealingAnnotations } from '../../client/self-healing.js';
import type { AppCommand, CallResult } from './app-process.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

function inActivity(): boolean {
  try {
    Context.current();
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const address = env('TEMPORAL_ADDRESS');
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  const healer = new SelfHealing(new Client({ connection }), {
    taskQueue: env('TEMPORAL_TASK_QUEUE'),
    appTaskQueue: env('APP_TASK_QUEUE'),
    workerConnection: native,
    waitForHealingMs: 3_000,
  });
  const dependency = env('DEPENDENCY_URL');
  let partitioned = false;
  const operations = new Map<string, (n: number) => Promise<unknown>>();
  for (const name of env('OPERATIONS').split(',')) {
    const quote = async (n: number) => {
      if (partitioned) throw Object.assign(new Error(`connect ECONNREFUSED ${dependency}`), { code: 'ECONNREFUSED' });
      // Re-runs and probes run in an activity of this worker: the dependency can tell them from direct calls.
      const response = await fetch(`${dependency}/${name}?n=${n}&via=${inActivity() ? 'activity' : 'call'}`);
      if (!response.ok)
        throw Object.assign(new Error(`quote service answered HTTP ${response.status}`), { status: response.status });
      return response.json();
    };
    operations.set(
      name,
      healer.withSelfHealing(name, quote, { allowedStrategies: [], circuitBreaker: JSON.parse(env('BREAKER')) }),
    );
  }
  const worker = await healer.createWorker();
  const running = worker.run();

  const call = async (operation: string, n: number): Promise<CallResult> => {
    const started = Date.now();
    try {
      await operations.get(operation)!(n);
      return { ok: true, ms: Date.now() - started };
    } catch (error) {
      if (error instanceof CircuitOpenError)
        return { ok: false, open: true, retryAt: error.retryAt?.getTime(), ms: Date.now() - started };
      return {
        ok: false,
        open: false,
        error: (error as Error).message,
        healingOutcome: (error as HealingAnnotations).healingOutcome,
        ms: Date.now() - started,
      };
    }
  };

  process.on('message', (command: AppCommand) => {
    void (async () => {
      switch (command.cmd) {
        case 'calls': {
          if (command.parallel) {
            const calls = Array.from({ length: command.count }, (_, n) => call(command.operation, n));
            return process.send!({ id: command.id, results: await Promise.all(calls) });
          }
          const results: CallResult[] = [];
          for (let n = 0; n < command.count; n++) {
            results.push(await call(command.operation, n));
            if (command.pauseMs) await new Promise((resolve) => setTimeout(resolve, command.pauseMs));
          }
          return process.send!({ id: command.id, results });
        }
        case 'until': {
          const deadline = Date.now() + command.timeoutMs;
          const results: CallResult[] = [];
          for (;;) {
            const result = await call(command.operation, results.length);
            results.push(result);
            const done = command.open ? !result.ok && result.open : !(!result.ok && result.open);
            if (done || Date.now() > deadline) return process.send!({ id: command.id, results, reached: done });
            await new Promise((resolve) => setTimeout(resolve, command.pauseMs));
          }
        }
        case 'partition':
          partitioned = command.on;
          return process.send!({ id: command.id });
        case 'stop':
          worker.shutdown();
          await running;
          await healer.close();
          await native.close();
          return process.send!({ id: command.id });
      }
    })();
  });
  process.send!({ ready: true });
  await running;
}

main().catch((error: unknown) => {
  console.error('app process failed:', error);
  process.exit(1);
});
