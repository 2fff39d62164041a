import { isLoopback } from '@shoal/observe';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { runAgent } from './agent.js';
import { usageError } from './cli-error.js';
import { type CommandContext, type Common, common, examples, port } from './command-kit.js';
import { isHubUrl, isProfile, type NetworkConfig } from './data-dir.js';
import { type ListenAddress, parseListenAddress } from './listen-address.js';

interface NetworkFlags {
  readonly interface?: string;
  readonly port?: number;
  readonly multicastPort?: number;
  readonly bootstrap?: string[];
  readonly hubs?: string[];
  /** commander's `--no-udp`: false when given. */
  readonly udp?: boolean;
  readonly profile?: NetworkConfig['profile'];
}

/** commander's parser of `--hubs`: each URL checked, repeats collected. */
export function hubUrl(text: string, previous: string[] = []): string[] {
  if (!isHubUrl(text)) throw new InvalidArgumentError(`"${text}" is not a ws:// or wss:// URL`);
  return [...previous, text];
}

function profile(text: string): NonNullable<NetworkConfig['profile']> {
  if (!isProfile(text)) throw new InvalidArgumentError('expected lan, wan or local');
  return text;
}

/** Network flags shared by init, join and agent (init and join store them in the data dir). */
function networkOptions(command: Command): Command {
  return command
    .option('--interface <ipv4>', 'LAN interface address to bind and discover on (e.g. 127.0.0.1)')
    .option('--port <port>', 'unicast UDP port (default: any free port)', port)
    .option('--multicast-port <port>', 'discovery port shared by the network (default 47477)', port)
    .option('--bootstrap <host:port...>', 'peers to contact directly where multicast does not reach')
    .option('--hubs <url...>', 'WebSocket hubs to reach the network through (ws:// or wss://)', hubUrl)
    .option('--no-udp', 'no UDP: reach peers through hubs only')
    .option('--profile <profile>', 'timing: lan (default), wan (hubs across networks) or local', profile);
}

/** The flags that were given; those absent keep the data dir's settings. */
function networkConfig(options: NetworkFlags): NetworkConfig {
  return {
    ...(options.interface === undefined ? {} : { interface: options.interface }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.multicastPort === undefined ? {} : { multicastPort: options.multicastPort }),
    ...(options.bootstrap === undefined ? {} : { bootstrap: options.bootstrap }),
    ...(options.hubs === undefined ? {} : { hubs: options.hubs }),
    ...(options.udp === false ? { udp: false } : {}),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  };
}

/** `init`, `invite`, `join` and `agent`: setting up a data dir and running its node. */
export function registerSetupCommands(program: Command, context: CommandContext): void {
  networkOptions(
    common(
      program
        .command('init')
        .description('create a new network: a secret, its invite token (printed once) and the data dir')
        .option('--name <network>', 'network name, part of the invite', 'shoal'),
    ),
  )
    .addHelpText(
      'after',
      examples('shoal init --dir ./a', 'shoal init --name home --interface 127.0.0.1 --json'),
    )
    .action((options: Common & NetworkFlags & { name: string }) => {
      const out = context.outputOf(options);
      const dir = context.dirOf(options);
      const invite = dir.createNetwork(options.name, networkConfig(options));
      out.data({ dir: dir.path, invite }, () =>
        [
          `created network "${options.name}" in ${dir.path}`,
          'invite (anyone holding it can read and write the network; share it like a password):',
          '',
          `  ${out.style('bold', invite)}`,
          '',
          `next: \`shoal agent --dir ${dir.path}\`, and on another device \`shoal join <invite>\``,
        ].join('\n'),
      );
    });

  common(program.command('invite').description("print this data dir's invite token again"))
    .addHelpText('after', examples('shoal invite --dir ./a', 'shoal invite --json'))
    .action((options: Common) => {
      const out = context.outputOf(options);
      const invite = context.dirOf(options).readInvite();
      out.data({ invite }, () => invite);
    });

  networkOptions(
    common(
      program
        .command('join')
        .argument('<token>', 'invite token from `shoal init` or `shoal invite`')
        .description('set up a data dir for the network of an invite'),
    ),
  )
    .addHelpText(
      'after',
      examples(
        'shoal join shoal://home/Zm9v… --dir ./b',
        'shoal join shoal://home/Zm9v… --hubs wss://hub.example:8080',
      ),
    )
    .action((token: string, options: Common & NetworkFlags) => {
      const out = context.outputOf(options);
      const dir = context.dirOf(options);
      const invite = dir.join(token, networkConfig(options));
      out.data(
        { dir: dir.path, network: invite.networkId },
        () => `joined network "${invite.networkId}" in ${dir.path}`,
      );
    });

  networkOptions(
    common(
      program
        .command('agent')
        .description('run this node: sync with peers, log peer events, serve one-shot commands')
        .addOption(
          new Option(
            '--ws-listen <[host:]port>',
            'also be a WebSocket hub for browsers and other networks',
          ).argParser(parseListenAddress),
        )
        .addOption(
          new Option(
            '--http <[host:]port>',
            'serve the dashboard, /metrics, /healthz and /readyz (host default 127.0.0.1)',
          ).argParser(parseListenAddress),
        )
        .addOption(
          new Option(
            '--http-token <token>',
            'bearer token for --http (required beyond loopback; at least 16 characters)',
          ).env('SHOAL_HTTP_TOKEN'),
        )
        .option(
          '--chat',
          'also run chat: room housekeeping while this hub leads, and the web client at /chat/ of --http',
        )
        .option(
          '--chat-hubs <url...>',
          'hub URLs the chat web client may fail over to, as browsers reach them (default: --hubs)',
          hubUrl,
        ),
    ),
  )
    .addHelpText(
      'after',
      examples(
        'shoal agent --dir ./a',
        'shoal agent --interface 127.0.0.1 --json          # NDJSON event log',
        'shoal agent --ws-listen :8080 --hubs ws://b:8080  # a hub, meshed with hub b',
        'shoal agent --hubs wss://hub.example:8080 --no-udp',
        'shoal agent --http 9464                            # dashboard on http://127.0.0.1:9464/',
        'SHOAL_HTTP_TOKEN=… shoal agent --http 0.0.0.0:9464',
        'shoal agent --ws-listen 8081 --http 9081 --chat    # a chat hub; web client at /chat/',
      ),
    )
    .action(
      async (
        options: Common &
          NetworkFlags & {
            wsListen?: ListenAddress;
            http?: ListenAddress;
            httpToken?: string;
            chat?: boolean;
            chatHubs?: string[];
          },
      ) => {
        const out = context.outputOf(options);
        if (options.chat === true && options.wsListen === undefined) {
          throw usageError('--chat needs --ws-listen: chat clients reach their hubs over WebSocket');
        }
        // Before anything opens: a dashboard beyond loopback without a token is refused at once.
        if (
          options.http !== undefined &&
          !isLoopback(options.http.host ?? '127.0.0.1') &&
          options.httpToken === undefined
        ) {
          throw usageError(
            `--http ${options.http.host}:${options.http.port} is not loopback: it needs --http-token (or SHOAL_HTTP_TOKEN), or anyone who reaches it could read the cluster's state`,
          );
        }
        await runAgent(context.dirOf(options), out, {
          overrides: networkConfig(options),
          ...(options.wsListen === undefined ? {} : { wsListen: options.wsListen }),
          ...(options.http === undefined ? {} : { http: options.http }),
          ...(options.httpToken === undefined ? {} : { httpToken: options.httpToken }),
          chat: options.chat === true,
          ...(options.chatHubs === undefined ? {} : { chatHubs: options.chatHubs }),
        });
      },
    );
}
