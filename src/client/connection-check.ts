import { Device, type types as client } from 'mediasoup-client';
import type { CheckStarted, MediaSource } from '../protocol/events.js';
import type { RequestPayload } from '../protocol/schemas.js';
import { verdictOf, type CheckReadings, type CheckVerdict } from './check-verdict.js';
import { selectedPath } from './link-reporter.js';
import { request, type CircleSocket } from './request.js';

export interface CheckOptions {
  /** How long media flows for the measurement, once connected. */
  durationMs?: number;
  /** `relay`: try the TURN relay only (what a client behind a strict firewall would get). */
  iceTransportPolicy?: RTCIceTransportPolicy;
}

export interface CheckResult extends CheckReadings {
  verdict: CheckVerdict;
  advice: string[];
  /** The clinic's dial-in number, for a verdict of `phone` (empty when there is none). */
  dialInNumber: string;
}

/** Longer than ICE over a relay takes on a bad network; past it, the path is taken to be closed. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The pre-session connection test: the server opens a router of its own for it (no room), the browser sends the
 * tracks it is given and receives them back through the SFU, over the same ports, relay and ICE a session would use,
 * and reads what the path does to them for `durationMs`. The tracks are cloned: the caller's stay theirs.
 */
export async function runConnectionCheck(socket: CircleSocket, stream: MediaStream, options: CheckOptions = {}): Promise<CheckResult> {
  const started: CheckStarted = await request(socket, 'startCheck', {});
  const transports: client.Transport[] = [];
  const tracks = stream.getTracks().map((track) => track.clone());
  try {
    const device = new Device();
    await device.load({ routerRtpCapabilities: started.routerRtpCapabilities as unknown as client.RtpCapabilities });
    const ice = { iceServers: started.iceServers ?? [], iceTransportPolicy: options.iceTransportPolicy ?? 'all' };
    const send = device.createSendTransport({ ...(started.send as unknown as client.TransportOptions), ...ice });
    const recv = device.createRecvTransport({ ...(started.recv as unknown as client.TransportOptions), ...ice });
    transports.push(send, recv);
    for (const transport of transports) {
      transport.on('connect', ({ dtlsParameters }, callback, errback) => {
        request(socket, 'checkConnect', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
      });
    }
    send.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const source = (appData as { source: MediaSource }).source;
      const payload = { transportId: send.id, kind, rtpParameters: rtpParameters as unknown as RequestPayload<'checkProduce'>['rtpParameters'], source };
      request(socket, 'checkProduce', payload).then(({ producerId }) => callback({ id: producerId }), errback);
    });
    const rtpCapabilities = device.rtpCapabilities as unknown as RequestPayload<'checkEcho'>['rtpCapabilities'];
    for (const track of tracks) {
      const producer = await send.produce({ track, appData: { source: track.kind === 'audio' ? 'microphone' : 'camera' } });
      const echo = await request(socket, 'checkEcho', { producerId: producer.id, rtpCapabilities });
      await recv.consume({ id: echo.consumerId, producerId: echo.producerId, kind: echo.kind, rtpParameters: echo.rtpParameters as unknown as client.RtpParameters });
    }
    const connected = await bothConnected(send, recv);
    const readings = connected ? await measure(send, recv, options.durationMs ?? 5000) : { connected, path: null, roundTripMs: null, loss: null, uplinkBps: null, downlinkBps: null };
    return { ...readings, ...verdictOf(readings), dialInNumber: started.dialInNumber };
  } finally {
    for (const transport of transports) transport.close();
    for (const track of tracks) track.stop();
    await request(socket, 'stopCheck', {}).catch(() => undefined);
  }
}

function bothConnected(send: client.Transport, recv: client.Transport): Promise<boolean> {
  const connected = () => send.connectionState === 'connected' && recv.connectionState === 'connected';
  return new Promise((resolve) => {
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    const poll = () => (connected() ? resolve(true) : Date.now() > deadline ? resolve(false) : setTimeout(poll, 50));
    poll();
  });
}

/** What came back, summed over the echoed streams: packets, losses and bytes. */
async function received(recv: client.Transport): Promise<{ packets: number; lost: number; bytes: number; at: number }> {
  const totals = { packets: 0, lost: 0, bytes: 0, at: performance.now() };
  (await recv.getStats()).forEach((entry: { type: string; packetsReceived?: number; packetsLost?: number; bytesReceived?: number }) => {
    if (entry.type !== 'inbound-rtp') return;
    totals.packets += entry.packetsReceived ?? 0;
    totals.lost += entry.packetsLost ?? 0;
    totals.bytes += entry.bytesReceived ?? 0;
  });
  return totals;
}

async function measure(send: client.Transport, recv: client.Transport, durationMs: number): Promise<CheckReadings> {
  const before = await received(recv);
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const after = await received(recv);
  const sendStats: RTCStatsReport = await send.getStats();
  let roundTripMs: number | null = null;
  let uplinkBps: number | null = null;
  sendStats.forEach((entry: { type: string; nominated?: boolean; currentRoundTripTime?: number; availableOutgoingBitrate?: number }) => {
    if (entry.type !== 'candidate-pair' || !entry.nominated) return;
    if (entry.currentRoundTripTime !== undefined) roundTripMs = entry.currentRoundTripTime * 1000;
    if (entry.availableOutgoingBitrate !== undefined) uplinkBps = entry.availableOutgoingBitrate;
  });
  const packets = after.packets - before.packets;
  const lost = Math.max(0, after.lost - before.lost);
  return {
    connected: packets > 0,
    path: selectedPath(sendStats) ?? null,
    roundTripMs,
    loss: packets + lost > 0 ? lost / (packets + lost) : null,
    uplinkBps,
    downlinkBps: ((after.bytes - before.bytes) * 8 * 1000) / Math.max(1, after.at - before.at),
  };
}

/**
 * While its client waits to be admitted, the check runs once, quietly, on the same connection, and what it found
 * goes to the staff's lobby list: they see who may struggle (and who is behind a relay) before they admit.
 */
export async function checkFromLobby(socket: CircleSocket, stream: MediaStream, iceTransportPolicy?: RTCIceTransportPolicy): Promise<void> {
  const { verdict, path, roundTripMs, loss } = await runConnectionCheck(socket, stream, { iceTransportPolicy, durationMs: 4000 });
  await request(socket, 'reportReadiness', { verdict, path, roundTripMs, loss });
}
