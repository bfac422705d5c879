// Entry of the zmq-topology command (bundled to dist/cli.js; out/src/cli/bin.js in development).
import { main } from './main';

void main(process.argv.slice(2)).then((code) => process.exit(code));
