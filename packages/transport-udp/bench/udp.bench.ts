/**
 * UdpTransport benchmarks on loopback: round-trip latency of 100-byte datagrams, and bulk
 * throughput and loss with and without pacing. Run with `pnpm --filter @shoal/transport-udp
 * bench`; prints a Markdown report for BENCHMARKS.md. Numbers depend on the machine: compare
 * runs on one machine, never against fixed thresholds.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseNodeId } from '@shoal/core';
import { type PacingOptions, UdpTransport } from '../src/index.js';

const open = (id: string, pacing?: PacingOptions | false) =>
  UdpTransport.open({
    nodeId: parseNodeId(id),
    host: '127.0.0.1',
    interface: '127.0.0.1',
    multicast: false,
    // Room for a whole bulk run, so the table measures pacing, not the queue bound.
    maxQueuedBytes: 64 * 1024 * 1024,
    ...(pacing === undefined ? {} : { pacing }),
  });

async function connectedPair(pacing?: PacingOptions | false): Promise<[UdpTransport, UdpTransport]> {
  const a = await open('bench-a', pacing);
  const b = await open('bench-b', pacing);
  a.addPeerAddress(b.nodeId, b.localAddress);
  b.addPeerAddress(a.nodeId, a.localAddress);
  return [a, b];
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function latency(rounds: number, warmup: number): Promise<string> {
  const [a, b] = await connectedPair();
  b.onMessage((from, bytes) => b.send(from, bytes));
  let resolveEcho: () => void = () => {};
  a.onMessage(() => resolveEcho());
  const payload = new Uint8Array(100);
  const samples: number[] = [];
  for (let i = 0; i < warmup + rounds; i++) {
    const echoed = new Promise<void>((resolve) => {
      resolveEcho = resolve;
    });
    const start = performance.now();
    a.send(b.nodeId, payload);
    await echoed;
    if (i >= warmup) samples.push((performance.now() - start) * 1000);
  }
  await Promise.all([a.close(), b.close()]);
  samples.sort((x, y) => x - y);
  const us = (value: number) => `${value.toFixed(0)} µs`;
  return `| ${rounds} | ${us(percentile(samples, 50))} | ${us(percentile(samples, 99))} | ${us(samples.at(-1) ?? 0)} |`;
}

async function throughput(label: string, count: number, pacing: PacingOptions | false): Promise<string> {
  const [a, b] = await connectedPair(pacing);
  let received = 0;
  let lastArrival = performance.now();
  b.onMessage(() => {
    received++;
    lastArrival = performance.now();
  });
  const payload = new Uint8Array(a.maxMessageSize);
  const start = performance.now();
  for (let i = 0; i < count; i++) a.send(b.nodeId, payload);
  // Done when everything arrived, or nothing arrived for 500 ms after the queue drained.
  while (received < count) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const idle = performance.now() - lastArrival;
    if (a.stats().queuedDatagrams === 0 && idle > 500) break;
  }
  const elapsedMs = lastArrival - start;
  const stats = a.stats();
  await Promise.all([a.close(), b.close()]);
  const megabytes = (received * payload.length) / 1e6;
  const lossPercent = ((count - received) / count) * 100;
  return `| ${label} | ${count} × ${payload.length} B | ${(megabytes / (elapsedMs / 1000)).toFixed(1)} MB/s | ${elapsedMs.toFixed(0)} ms | ${lossPercent.toFixed(2)} % | ${stats.queueFullDropped} |`;
}

async function main(): Promise<void> {
  const lines = [
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${new Date().toISOString().slice(0, 10)}`,
    '',
    '### Round-trip latency, 100-byte payload, loopback (echo through a second transport)',
    '',
    '| rounds | p50 | p99 | max |',
    '| --- | --- | --- | --- |',
    await latency(2000, 200),
    '',
    '### Bulk one-way throughput, full-size datagrams, loopback',
    '',
    '| pacing | sent | goodput | time to last arrival | loss | queue-full drops |',
    '| --- | --- | --- | --- | --- | --- |',
    await throughput('default (8 KiB/ms, 64 KiB burst)', 20_000, { bytesPerMs: 8192, burstBytes: 65536 }),
    await throughput('32 KiB/ms, 256 KiB burst', 20_000, { bytesPerMs: 32768, burstBytes: 262144 }),
    await throughput('off', 20_000, false),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
