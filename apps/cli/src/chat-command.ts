import { CHAT_CHANNEL, ChatService, openChatNode, runTerminalChat } from '@shoal/chat';
import { isShoalError } from '@shoal/core';
import type { Command } from 'commander';
import { CliError, usageError } from './cli-error.js';
import { type CommandContext, type Common, common, examples } from './command-kit.js';
import { hubUrl } from './setup-commands.js';

/**
 * `shoal chat`: the full-screen chat client. It is this data dir's node, a hub client (no UDP)
 * of the hubs given with `--hubs` or stored in the data dir, with its history kept in the data
 * dir, so a restart shows it at once and catches up.
 */
export function registerChatCommand(program: Command, context: CommandContext): void {
  common(
    program
      .command('chat')
      .description('chat in rooms through hubs (full screen; /help inside lists the commands)')
      .option('--hubs <url...>', "chat hubs to use (default: the data dir's hubs)", hubUrl)
      .option('--nick <name>', 'your nickname (default: the last one used here)')
      .option('--invite <token>', 'join the network of this invite first, if the data dir is new'),
    false,
  )
    .addHelpText(
      'after',
      examples(
        'shoal agent --ws-listen 8081 --http 9081 --chat --dir hub1   # a chat hub',
        'shoal chat --hubs ws://127.0.0.1:8081 ws://127.0.0.1:8082 --nick alice --dir alice',
        'shoal chat --invite shoal://chat/… --hubs wss://hub.example:8081 --nick bob   # first time',
      ),
    )
    .action(async (options: Common & { hubs?: string[]; nick?: string; invite?: string }) => {
      context.outputOf(options);
      if (!process.stdin.isTTY || !process.stdout.isTTY) {
        throw usageError('shoal chat is full screen: run it in a terminal');
      }
      const dir = context.dirOf(options);
      if (options.invite !== undefined && !dir.initialised)
        dir.join(options.invite, {
          udp: false,
          ...(options.hubs === undefined ? {} : { hubs: options.hubs }),
        });
      const secret = dir.readInvite();
      const hubs = options.hubs ?? dir.readConfig().network.hubs ?? [];
      if (hubs.length === 0) {
        throw usageError(
          'no hubs: give --hubs ws://host:port (a hub runs `shoal agent --ws-listen … --chat`)',
        );
      }
      const { node, link } = await openChatNode({ hubs, secret, dataDir: dir.storePath }).catch(
        (error: unknown) => {
          if (isShoalError(error) && error.details?.reason === 'locked') {
            throw new CliError(
              'LOCKED',
              `data dir ${dir.path} is in use by another shoal process: chat from its own data dir`,
            );
          }
          throw error;
        },
      );
      // Other commands on this data dir (`shoal tail chat/room:general`) may then read the chat.
      dir.rememberChannel(CHAT_CHANNEL);
      try {
        const chat = await ChatService.open(node, options.nick === undefined ? {} : { nick: options.nick });
        await runTerminalChat(chat, link, { input: process.stdin, output: process.stdout });
        await chat.close();
      } finally {
        await node.dispose();
      }
    });
}
