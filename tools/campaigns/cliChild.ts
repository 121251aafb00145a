/**
 * The `reckon` CLI from source, for the multi-client campaign: `node --import tsx cliChild.ts <args>` runs the
 * same main() as bin/reckon.mjs runs from out/main/cli.js, so the campaign needs no build.
 */
import { main } from '../../src-main/cli/cli';

process.exit(await main(process.argv.slice(2)));
