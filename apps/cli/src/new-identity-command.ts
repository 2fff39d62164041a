import type { Command } from 'commander';
import { type CommandContext, type Common, common, examples } from './command-kit.js';
import { openDirNode } from './open-dir-node.js';

/**
 * `new-identity`: gives a data dir a node id and key of its own, keeping everything it holds.
 * For a copy (`cp -r`, a backup started elsewhere) that will run beside the node it was copied
 * from: two live nodes under one id would keep writing stream entries at the same seqs, each
 * taking the earlier one back from the other (ADR 0057), and share one replay window. What the
 * old id wrote stays attributed to it.
 */
export function registerNewIdentityCommand(program: Command, context: CommandContext): void {
  common(
    program
      .command('new-identity')
      .description('give a copied or restored data dir a node id and key of its own, keeping its data'),
  )
    .addHelpText(
      'after',
      examples('cp -r a b && shoal new-identity --dir b', 'shoal new-identity --dir ./restored --json'),
    )
    .action(async (options: Common) => {
      const out = context.outputOf(options);
      const dir = context.dirOf(options);
      const whenLocked = ': stop it first (its agent, or another command), then run this once';
      const before = await openDirNode(dir, { online: false, whenLocked });
      const previous = before.id;
      await before.dispose({ leave: false });
      const after = await openDirNode(dir, { online: false, whenLocked, newIdentity: true });
      const id = after.id;
      await after.dispose({ leave: false });
      out.data({ dir: dir.path, previous, id }, () =>
        [
          `${dir.path}: node ${previous} is now ${id}`,
          `what ${previous} wrote stays in its name; from now on this dir writes as ${id}`,
        ].join('\n'),
      );
    });
}
