import { allSee, allSeeEachOther, converged } from './fleet-checks.js';
import type { LiveView } from './live-view.js';
import type { NodeStatus } from './node-status.js';
import type { ManagedNode, NodeSupervisor } from './node-supervisor.js';
import { waitFor } from './wait-for.js';

/** Timings the scenario measured, in ms. */
export interface ScenarioResult {
  /** From spawning to every process's first report (mostly Node and the TypeScript loader starting). */
  readonly started: number;
  /** From the last process's first report until every node sees every other alive. */
  readonly discovery: number;
  readonly firstConvergence: number;
  readonly suspected: number;
  readonly declaredDead: number;
  readonly rejoined: number;
  readonly caughtUp: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The scripted story of `pnpm demo`, over already-started node processes: discovery, writes,
 * convergence, a SIGKILL and its detection, a restart on the same data, convergence again.
 * `durationMs` is spread over the writing phases; the waits for the system take what they take
 * (each bounded by a timeout, so a broken build fails instead of hanging).
 */
export async function runProcessScenario(
  supervisor: NodeSupervisor,
  view: LiveView,
  durationMs: number,
): Promise<ScenarioResult> {
  const nodes = supervisor.nodes;
  const ids = nodes.map((managed) => managed.spec.id);
  const statuses = (except?: ManagedNode): NodeStatus[] =>
    nodes.flatMap((managed) =>
      managed !== except && managed.phase === 'running' && managed.status ? [managed.status] : [],
    );
  const writeMs = Math.max(2_000, durationMs * 0.2);

  view.caption(
    `${nodes.length} processes, each with its own UDP port on 127.0.0.1, find each other by multicast — zero configuration`,
  );
  const started = await waitFor(() => statuses().length === nodes.length, {
    timeoutMs: 30_000,
    what: 'every node process to start',
  });
  view.log(`all ${nodes.length} processes up after ${seconds(started)} (Node + TypeScript loader start-up)`);
  const discovery = await waitFor(
    () => statuses().length === nodes.length && allSeeEachOther(statuses(), ids),
    {
      timeoutMs: 30_000,
      what: 'every node to see every other alive',
    },
  );
  view.log(`every node sees all ${nodes.length - 1} others alive ${seconds(discovery)} later`);

  view.caption(
    'Every node writes a sensor reading every 500 ms and chats on a stream; all traffic is sealed',
  );
  await pause(writeMs);
  view.caption('Writers pause: anti-entropy brings every replica to the same state (watch the digests)');
  supervisor.setWrites(false);
  const firstConvergence = await waitFor(() => converged(statuses(), nodes.length), {
    timeoutMs: 20_000,
    what: 'the replicas to converge',
  });
  view.log(`all ${nodes.length} replicas identical after ${seconds(firstConvergence)}`);
  view.snapshot();
  await pause(1_500);

  const victim = nodes[nodes.length - 1] as ManagedNode;
  supervisor.setWrites(true);
  view.caption(`SIGKILL node ${victim.spec.name}: no goodbye, the others must notice by themselves (SWIM)`);
  supervisor.kill(victim);
  const suspected = await waitFor(() => allSee(statuses(victim), victim.spec.id, ['suspect', 'dead']), {
    timeoutMs: 30_000,
    what: `every survivor to suspect ${victim.spec.name}`,
  });
  view.log(`every survivor suspects ${victim.spec.name} after ${seconds(suspected)}`);
  const declaredDead =
    suspected +
    (await waitFor(() => allSee(statuses(victim), victim.spec.id, ['dead']), {
      timeoutMs: 30_000,
      what: `every survivor to declare ${victim.spec.name} dead`,
    }));
  view.log(
    `every survivor declares ${victim.spec.name} dead after ${seconds(declaredDead)}; writes go on without it`,
  );
  view.snapshot();
  await pause(writeMs * 0.5);

  view.caption(
    `Restart ${victim.spec.name} on its LMDB data: same id, same state, it rejoins and catches up`,
  );
  supervisor.restart(victim);
  const rejoined = await waitFor(
    () =>
      victim.phase === 'running' && allSeeEachOther(statuses(), ids) && statuses().length === nodes.length,
    { timeoutMs: 30_000, what: `${victim.spec.name} to rejoin` },
  );
  view.log(`${victim.spec.name} is back with the same id; everyone sees it alive after ${seconds(rejoined)}`);
  await pause(writeMs * 0.5);

  view.caption('Writers pause again: the restarted node converges with the rest');
  supervisor.setWrites(false);
  const caughtUp = await waitFor(() => converged(statuses(), nodes.length), {
    timeoutMs: 20_000,
    what: 'the replicas to converge after the restart',
  });
  view.log(`all ${nodes.length} replicas identical again after ${seconds(caughtUp)}`);
  view.snapshot();
  await pause(1_500);
  return { started, discovery, firstConvergence, suspected, declaredDead, rejoined, caughtUp };
}

/** The one-line summary printed at the end. */
export function summarize(result: ScenarioResult, count: number, victim: string): string {
  return (
    `✓ ${count} node processes up in ${seconds(result.started)}, all seeing each other ${seconds(result.discovery)} later, converged in ${seconds(result.firstConvergence)}; ` +
    `${victim} SIGKILLed: suspected in ${seconds(result.suspected)}, declared dead in ${seconds(result.declaredDead)}; ` +
    `restarted: rejoined in ${seconds(result.rejoined)}, caught up in ${seconds(result.caughtUp)}`
  );
}
