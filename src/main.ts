/**
 * The composition root as `npm start` runs it: the gateway process
 * (server.ts), with `--sandbox` for the built-in simulated network.
 */
import { runServer } from './server.js';

void runServer(process.argv.slice(2));
