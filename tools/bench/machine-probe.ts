/**
 * A fixed amount of single-threaded CPU work (an integer loop the JIT compiles to a few instructions per turn), timed:
 * the same build's figures from different days or machines are comparable only alongside it. This virtual machine's
 * speed has been seen to differ threefold between days with nothing else running, which every figure of a bench
 * follows. Median of three runs, in milliseconds.
 */
export function machineProbeMs(iterations = 100_000_000): number {
  const times: number[] = [];
  let sink = 0;
  for (let run = 0; run < 3; run++) {
    const started = process.hrtime.bigint();
    let x = run;
    for (let i = 0; i < iterations; i++) x = (Math.imul(x, 31) + i) | 0;
    sink ^= x;
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  if (sink === 0.5) throw new Error('unreachable: keeps the loop from being optimised away');
  return Math.round(times.sort((a, b) => a - b)[1]);
}
