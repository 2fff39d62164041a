/** Where the REPL's completion finds names; each is read at Tab time, so it sees new names. */
export interface NameSource {
  channels(): readonly string[];
  maps(): readonly string[];
  streams(): readonly string[];
  keys(): readonly string[];
}

// A call whose first argument is an unfinished string literal: `node.channel('ho`.
const OPEN_CALL = /\.(channel|map|stream|get|set|delete|has)\(\s*(['"`])([^'"`]*)$/;
const WATCH = /^\s*\.watch\s+(\S*)$/;

/**
 * Completions for `line` from Shoal's names, as readline wants them (`[matches, the fragment
 * they complete]`), or undefined when the line is not inside such a call (then JavaScript
 * completion applies).
 */
export function completeNames(line: string, names: NameSource): [string[], string] | undefined {
  const watch = WATCH.exec(line);
  if (watch !== null) return matching(names.keys(), watch[1] ?? '');
  const call = OPEN_CALL.exec(line);
  if (call === null) return undefined;
  const [, method, , fragment = ''] = call;
  const source =
    method === 'channel'
      ? names.channels()
      : method === 'map'
        ? names.maps()
        : method === 'stream'
          ? names.streams()
          : names.keys();
  return matching(source, fragment);
}

function matching(candidates: readonly string[], fragment: string): [string[], string] {
  return [[...candidates].filter((name) => name.startsWith(fragment)).sort(), fragment];
}
