import { Device, type types as client } from 'mediasoup-client';
import type { AdmittedView, IceServer, MediaSource, TransportInfo } from '../protocol/events.js';
import type { RequestPayload } from '../protocol/schemas.js';
import type { VideoSize } from '../protocol/video-views.js';
import { request, type CircleSocket } from './request.js';

export interface MediaTransports {
  device: Device;
  /** None for observers, who only receive. */
  send: client.Transport | undefined;
  recv: client.Transport;
}

/**
 * Loads the router's capabilities and opens the two transports, each wired to the server: DTLS connect, produce,
 * and an ICE restart when its path fails while signaling lives on (a network switch).
 */
/** Where ICE may go besides the SFU itself: the TURN relay, and whether only through it. */
export interface IcePolicy {
  iceServers: IceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
}

/** Makes a transport (its peer connection) so that, with end-to-end encryption on, its frames go through it. */
export type MakeProtected = <T>(create: () => T) => T;

export async function openTransports(
  socket: CircleSocket,
  view: AdmittedView,
  sends: boolean,
  ice: IcePolicy,
  onError: (error: Error) => void,
  protect: MakeProtected = (create) => create(),
): Promise<MediaTransports> {
  const device = new Device();
  await device.load({ routerRtpCapabilities: view.routerRtpCapabilities as unknown as client.RtpCapabilities });
  await request(socket, 'setRtpCapabilities', {
    rtpCapabilities: device.rtpCapabilities as RequestPayload<'setRtpCapabilities'>['rtpCapabilities'],
  });
  const send = sends ? await openTransport(socket, device, 'send', ice, onError, protect) : undefined;
  const recv = await openTransport(socket, device, 'recv', ice, onError, protect);
  return { device, send, recv };
}

/** New ICE credentials from the server, same transport: DTLS and media stay. */
export async function restartTransportIce(socket: CircleSocket, transport: client.Transport): Promise<void> {
  const { iceParameters } = await request(socket, 'restartIce', { transportId: transport.id });
  await transport.restartIce({ iceParameters: iceParameters as unknown as client.IceParameters });
}

async function openTransport(
  socket: CircleSocket,
  device: Device,
  direction: 'send' | 'recv',
  ice: IcePolicy,
  onError: (error: Error) => void,
  protect: MakeProtected,
): Promise<client.Transport> {
  const info: TransportInfo = await request(socket, 'createTransport', { direction });
  const options = { ...(info as unknown as client.TransportOptions), ...ice };
  const transport = protect(() => (direction === 'send' ? device.createSendTransport(options) : device.createRecvTransport(options)));
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    request(socket, 'connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
  });
  transport.on('connectionstatechange', (state) => {
    if (state === 'failed') restartTransportIce(socket, transport).catch(onError);
  });
  transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
    const { source, videoSize } = appData as { source: MediaSource; videoSize?: VideoSize };
    request(socket, 'produce', {
      transportId: transport.id,
      kind,
      rtpParameters: rtpParameters as unknown as RequestPayload<'produce'>['rtpParameters'],
      source,
      ...(videoSize && { videoSize }),
    }).then(({ producerId }) => callback({ id: producerId }), errback);
  });
  return transport;
}
