// A bounded open-loop burst: `count` requests sent at `rate` per second, whatever the answers do.

/** Hard limits, whatever the form says: a demo must not turn into a load-test tool. */
export const BURST_LIMITS = Object.freeze({ maxCount: 200, maxRatePerSecond: 100 });

/**
 * Clamps a requested burst to the limits.
 * @param {number} count
 * @param {number} ratePerSecond
 */
export function clampBurst(count, ratePerSecond) {
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, Math.round(Number.isFinite(v) ? v : lo)));
  return { count: clamp(count, 1, BURST_LIMITS.maxCount), ratePerSecond: clamp(ratePerSecond, 1, BURST_LIMITS.maxRatePerSecond) };
}

/**
 * Sends `count` requests, the i-th at i / rate seconds after the start (open loop: a slow answer does not delay
 * the next request). Resolves when every request has settled or `signal` aborted the rest.
 * @template T
 * @param {{count: number, ratePerSecond: number, send: (i: number) => Promise<T>, onAnswer: (answer: T, i: number) => void, signal: AbortSignal}} options
 * @returns {Promise<number>} requests actually sent
 */
export function runBurst({ count, ratePerSecond, send, onAnswer, signal }) {
  const limits = clampBurst(count, ratePerSecond);
  const intervalMs = 1000 / limits.ratePerSecond;
  const started = performance.now();
  const inFlight = [];
  return new Promise((resolve) => {
    let sent = 0;
    const tick = () => {
      // Catch up on every request due by now (timers are coarse under load), then sleep until the next one.
      while (sent < limits.count && !signal.aborted && performance.now() - started >= sent * intervalMs) {
        const i = sent++;
        inFlight.push(send(i).then((answer) => onAnswer(answer, i)));
      }
      if (sent < limits.count && !signal.aborted) {
        setTimeout(tick, Math.max(0, started + sent * intervalMs - performance.now()));
      } else {
        Promise.allSettled(inFlight).then(() => resolve(sent));
      }
    };
    tick();
  });
}
