// Starts Stryker through its API with the config beside this file. Stryker 10's CLI refuses
// Node < 22 at start-up; the project runs on Node 20, and the mutation run works there through
// the API (nothing it uses needs 22). The package's entry point loads the CLI (and its version
// check), so the Stryker class is imported from its own module. Usage: node test/mutation/run-stryker.mjs
const { Stryker } = await import(new URL('../../node_modules/@stryker-mutator/core/dist/src/stryker.js', import.meta.url).href);
import config from './stryker.config.mjs';

const results = await new Stryker(config).runMutationTest();
const count = (status) => results.filter((r) => r.status === status).length;
const killed = count('Killed') + count('Timeout');
const survived = count('Survived') + count('NoCoverage');
console.log(`killed ${killed} (of which timeouts ${count('Timeout')}), survived ${survived}, errors ${count('RuntimeError') + count('CompileError')}, score ${((100 * killed) / (killed + survived)).toFixed(1)}%`);
