import type { Command } from 'commander';
import { usageError } from './cli-error.js';
import { type CommandContext, type Common, common, examples, lines, oneShot } from './command-kit.js';

/** What `shoal access` prints: the channel and its members' keys after the change. */
interface AccessResult {
  readonly channel: string;
  readonly members: readonly string[];
}

/**
 * `access`: who may sync a channel. With no action it lists the members' public keys; `add` and
 * `remove` change the list (a key is what `shoal status` prints after `key`, or `members` shows
 * in full with `--json`). An empty list means every node holding the secret may sync it. The list
 * is this node's own setting (docs/security.md): each member lists the others on its own node,
 * or a node that lists none relays the channel to anyone; the output says so.
 */
export function registerAccessCommand(program: Command, context: CommandContext): void {
  common(
    program
      .command('access')
      .argument('<channel>')
      .argument('[action]', 'list (default), add or remove')
      .argument('[key]', "a member's public key (base64url), for add and remove")
      .description(
        'who may sync a channel with this node: its members, by public key (each member lists the others on its own node)',
      ),
  )
    .addHelpText(
      'after',
      examples(
        'shoal access family',
        'shoal access family add "$(shoal status --json | jq -r .key)"',
        'shoal access family remove mF3k…',
      ),
    )
    .action(async (channel: string, action: string | undefined, key: string | undefined, options: Common) => {
      const verb = action ?? 'list';
      if (verb !== 'list' && verb !== 'add' && verb !== 'remove') {
        throw usageError(`unknown action "${verb}": use list, add or remove`);
      }
      if (verb !== 'list' && key === undefined) throw usageError(`access ${verb} needs a key`);
      const request =
        verb === 'list'
          ? ({ op: 'access', channel, action: 'list' } as const)
          : ({ op: 'access', channel, action: verb, key: key as string } as const);
      const { out, result } = await oneShot(context, options, request);
      const r = result as AccessResult;
      out.data(r, () =>
        r.members.length === 0
          ? `${channel}: no members listed here: this node syncs it with every node holding the secret`
          : lines(
              `${channel}: this node syncs it only with these ${r.members.length} member(s); list them on each member's node too, or one that lists none passes the channel on to anyone`,
              ...r.members.map((m) => `  ${m}`),
            ),
      );
    });
}
