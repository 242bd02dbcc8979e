// Message fan-out: a room of N (1 facilitator, 1 co-facilitator, the rest clients, all admitted) over real
// Socket.IO against a real server process. Each round one sender (turning through the room) writes to everyone
// and, every third round, a client writes to the staff; measured from the send to the last reader's arrival (all
// in this process, one clock), and the sender's acknowledgement. Messages are paced under the per-sender limit.
//
//   npm run load:messages -- --size 25 --rounds 200
import { parseArgs } from 'node:util';
import { startServerProcess } from '../harness/process.js';
import { connect, devToken, type TestClient } from '../harness/signaling.js';
import type { ChatMessage } from '../src/protocol/events.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '25' }, rounds: { type: 'string', default: '200' } } });
const SIZE = Number(values.size);
const ROUNDS = Number(values.rounds);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startServerProcess();
const people: { client: TestClient; participantId: string; role: string }[] = [];
for (let i = 0; i < SIZE; i += 1) {
  const role = i === 0 ? 'facilitator' : i === 1 ? 'cofacilitator' : 'client';
  const { token, participantId } = await devToken(server.url, { room: 'fanout', name: `p${i}`, role });
  const client = await connect(server.url);
  await client.ok('join', { token });
  people.push({ client, participantId, role });
}
await people[0]!.client.ok('admitAll', {});
await sleep(500);

/** Resolves when each reader has the message with this text; answers the time of the last arrival. */
function lastArrival(readers: typeof people, text: string): Promise<number> {
  return Promise.all(
    readers.map(
      ({ client }) =>
        new Promise<number>((resolve) => {
          const listener = (message: ChatMessage) => {
            if (message.text !== text) return;
            client.socket.off('message', listener);
            resolve(performance.now());
          };
          client.socket.on('message', listener);
        }),
    ),
  ).then((times) => Math.max(...times));
}

const everyone = { fanout: [] as number[], ack: [] as number[] };
const staff = { fanout: [] as number[], ack: [] as number[] };
for (let round = 0; round < ROUNDS; round += 1) {
  const toStaff = round % 3 === 2;
  const sender = toStaff ? people[2 + (round % (SIZE - 2))]! : people[round % SIZE]!;
  const readers = people.filter((p) => p !== sender && (!toStaff || p.role !== 'client'));
  const text = `round ${round}: ${'a short message of ordinary length '.repeat(3).trim()}`;
  const arrived = lastArrival(readers, text);
  const started = performance.now();
  await sender.client.ok('sendMessage', { to: toStaff ? 'staff' : 'everyone', text });
  (toStaff ? staff : everyone).ack.push(performance.now() - started);
  (toStaff ? staff : everyone).fanout.push((await arrived) - started);
  await sleep(100);
}
for (const { client } of people) client.close();
server.child.kill('SIGTERM');

const result = { scenario: 'message-fanout', machine: machine(), size: SIZE, rounds: ROUNDS, everyone: { fanout: summarize(everyone.fanout), ack: summarize(everyone.ack) }, staff: { fanout: summarize(staff.fanout), ack: summarize(staff.ack) } };
const line = (name: string, s: ReturnType<typeof summarize>) => `| ${name} | ${s.n} | ${s.median} | ${s.p99} | ${s.max} |`;
console.log(
  writeResult(
    'message-fanout',
    result,
    `# message fan-out in a room of ${SIZE}

| measure | n | median ms | p99 ms | max ms |
| --- | --- | --- | --- | --- |
${line(`to everyone: send → last of ${SIZE - 1} readers`, result.everyone.fanout)}
${line('to everyone: send → acknowledgement', result.everyone.ack)}
${line('to the staff: send → last of 2 readers', result.staff.fanout)}
${line('to the staff: send → acknowledgement', result.staff.ack)}
`,
  ),
);
process.exit(0);
