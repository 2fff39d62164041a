import { Command } from 'commander';
import { registerAccessCommand } from './access-command.js';
import { registerChatCommand } from './chat-command.js';
import { usageError } from './cli-error.js';
import { registerClusterCommands } from './cluster-commands.js';
import { type Common, commandContext, common, examples } from './command-kit.js';
import { registerDataCommands } from './data-commands.js';
import { registerNewIdentityCommand } from './new-identity-command.js';
import type { Output } from './output.js';
import { runRepl } from './repl.js';
import { registerSetupCommands } from './setup-commands.js';

/**
 * The `shoal` command tree. `setOutput` receives the Output of the command that runs, so the
 * caller reports errors in that command's format (`--json` or text).
 */
export function buildProgram(setOutput: (out: Output) => void): Command {
  const program = new Command('shoal')
    .description('Run a Shoal node and read, write and watch its maps and streams.')
    .version('0.1.0')
    // Before any subcommand is added, so they inherit it: parse errors come back to main as
    // exceptions, which prints them as one line (JSON with --json) and exits 2.
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      examples(
        'shoal init --dir a                        # a new network; prints its invite',
        'shoal join shoal://… --dir b              # another node of that network',
        'shoal agent --dir a                       # run the node',
        'shoal set home/settings lights \'{"on":true}\' --dir a',
        'shoal watch home/settings --dir b',
        'shoal agent --dir a --http 9464           # and a dashboard on http://127.0.0.1:9464/',
        'shoal export home -o home.shx --dir a     # a snapshot of a channel',
      ),
    );
  const context = commandContext(setOutput);
  registerSetupCommands(program, context);
  registerDataCommands(program, context);
  registerClusterCommands(program, context);
  registerAccessCommand(program, context);
  registerChatCommand(program, context);
  registerNewIdentityCommand(program, context);

  common(
    program
      .command('repl')
      .description('an interactive JavaScript shell with the node bound (top-level await, tab completion)')
      .option('-c, --channel <name>', 'bind `ch` to this channel')
      .option('-m, --map <name>', 'bind `map` to this map of the channel')
      .option('-s, --stream <name>', 'bind `stream` to this stream of the channel'),
    false,
  )
    .addHelpText(
      'after',
      examples(
        'shoal repl --channel home --map settings',
        '> await map.set("lights", true)',
        '> .watch lights',
      ),
    )
    .action(async (options: Common & { channel?: string; map?: string; stream?: string }) => {
      const out = context.outputOf(options);
      if ((options.map !== undefined || options.stream !== undefined) && options.channel === undefined) {
        throw usageError('--map and --stream need --channel');
      }
      await runRepl(context.dirOf(options), out, options);
    });

  return program;
}
