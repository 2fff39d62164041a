import { CommanderError } from 'commander';
import { CliError, ExitCode, toCliError } from './cli-error.js';
import { Output } from './output.js';
import { buildProgram } from './program.js';

/**
 * Entry point of `shoal`: runs the command in `argv` and exits 0 (ok), 1 (error) or 2 (usage).
 * Every failure is reported as ONE line on stderr (one JSON object with `--json`).
 */
async function main(argv: readonly string[]): Promise<number> {
  let out = new Output({ json: argv.includes('--json') });
  const program = buildProgram((chosen) => {
    out = chosen;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; they were printed and end successfully.
      if (error.exitCode === 0) return ExitCode.Ok;
      // `shoal` alone: commander printed the help to stderr, which says all there is.
      if (error.code === 'commander.help') return ExitCode.Usage;
      out.error(
        new CliError('USAGE', `${error.message.replace(/^error: /, '')} (see --help)`, ExitCode.Usage),
      );
      return ExitCode.Usage;
    }
    const failure = toCliError(error);
    out.error(failure);
    return failure.exitCode;
  }
}

const code = await main(process.argv.slice(2));
// Writes to a pipe are asynchronous: exit only once what was printed has been handed over,
// or a reader (`shoal list --json | jq`) gets a truncated document.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((done) => s.write('', done))));
process.exit(code);
