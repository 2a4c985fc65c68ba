/**
 * How many queued connections does Node accept per event-loop iteration? A platform fact the overload behaviour
 * depends on (docs/reliability.md): with one accept per iteration, a main thread saturated by admitted work
 * (30–60 iterations a second) leaves a flood's new connections unread in the kernel's accept queue.
 *
 * A bare node:http server blocks its loop for `--block-ms` while `--connections` clients connect (they queue in
 * the accept queue); then each loop iteration is counted (a setImmediate chain: one check phase per iteration)
 * together with the 'connection' events seen in it. Prints the histogram of accepts per iteration and the number
 * of iterations needed to accept them all. Node 20.20 / libuv 1.46 here: 1 per iteration.
 *
 *   npm run bench:accepts -- --connections 200 --block-ms 500
 */
import http from 'node:http';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '200' }, 'block-ms': { type: 'string', default: '500' } },
});
const connections = Number(values.connections);
const blockMs = Number(values['block-ms']);

const server = http.createServer((_req, res) => res.end('ok'));
await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
const { port } = server.address() as net.AddressInfo;

let acceptedInIteration = 0;
let accepted = 0;
server.on('connection', () => {
  acceptedInIteration++;
  accepted++;
});

const clients: net.Socket[] = [];
const allAnswered = new Promise<void>((resolve) => {
  let answered = 0;
  for (let i = 0; i < connections; i++) {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n'));
    socket.once('data', () => {
      if (++answered === connections) resolve();
    });
    socket.on('error', () => {});
    clients.push(socket);
  }
});

// Let the clients connect (their handshakes complete in the kernel), then block the loop so they all queue.
await sleep(50);
const acceptedBefore = accepted;
acceptedInIteration = 0;
const accepts: number[] = [];
let counting = true;
const countIteration = (): void => {
  accepts.push(acceptedInIteration);
  acceptedInIteration = 0;
  if (counting) setImmediate(countIteration);
};
const blockedAt = performance.now();
while (performance.now() - blockedAt < blockMs);
setImmediate(countIteration);
await allAnswered;
counting = false;

const histogram = new Map<number, number>();
for (const n of accepts) histogram.set(n, (histogram.get(n) ?? 0) + 1);
const withAccepts = accepts.filter((n) => n > 0);
const queued = accepted - acceptedBefore;
console.log(`node ${process.version}, libuv ${process.versions.uv}: ${connections} connections, ${acceptedBefore} accepted before the ${blockMs} ms block, ${queued} queued during it`);
console.log(`iterations that accepted: ${withAccepts.length}; accepts per such iteration: max ${Math.max(...withAccepts)}, mean ${(queued / withAccepts.length).toFixed(2)}`);
console.log(`histogram (accepts per iteration → iterations): ${JSON.stringify(Object.fromEntries([...histogram].sort((a, b) => a[0] - b[0])))}`);
for (const c of clients) c.destroy();
server.close();
