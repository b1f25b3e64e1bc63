import { CORPUS } from './corpus.js';
import { startEvalEnvironment } from './environment.js';
import { runScenarios } from './scenarios.js';
import { startEvalSystem } from './system.js';
const env = await startEvalEnvironment();
const system = await startEvalSystem(env);
const ids = process.argv.slice(2);
const t = Date.now();
const results = await runScenarios(system, CORPUS.filter((s) => ids.length === 0 || ids.includes(s.id)), {
  onResult: (r) => console.log(r.scenario.id, r.got, r.strategy, r.tried.join('>'), r.reruns, r.runsAfterAnswer, Math.round(r.waitedMs), r.misses.join('; ')),
});
console.log('total', results.length, (Date.now() - t) / 1000, 's; llm', system.openai.completionRequests().length);
await system.stop();
await env.close();
