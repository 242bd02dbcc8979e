import type { types as client } from 'mediasoup-client';
import type { MediaKind, MediaSource, SelfView } from '../protocol/events.js';
import { SIMULCAST_LAYERS } from '../protocol/simulcast.js';
import { MAX_TILE_SIDE, type VideoSize } from '../protocol/video-views.js';
import { request, type CircleSocket } from './request.js';

/** Three simulcast layers, so the SFU can give each receiver what its downlink carries. */
const SIMULCAST: client.RtpEncodingParameters[] = SIMULCAST_LAYERS.map((layer) => ({ ...layer }));

/** The camera's picture as captured (the top layer), for the SFU to tell which layer fills a receiver's tile. */
function cameraSize(track: MediaStreamTrack): VideoSize | undefined {
  const { width, height } = track.getSettings();
  return width && height ? { width: Math.min(width, MAX_TILE_SIDE), height: Math.min(height, MAX_TILE_SIDE) } : undefined;
}

const kindOf = (source: MediaSource): MediaKind => (source === 'microphone' ? 'audio' : 'video');
const sourceOf = (track: MediaStreamTrack): MediaSource => (track.kind === 'audio' ? 'microphone' : 'camera');

/**
 * Sends the local microphone (Opus with FEC and DTX) and camera (VP8, three simulcast layers). What runs is
 * decided in one place, `reconcile`, from the wanted state, as the server's `mayFlow` decides at the SFU: the
 * participant's own choice, a facilitator's lock (which also counts as the participant turning it off, so lifting
 * it turns nothing on), and for the camera whether the uplink carries video. The floor is the SFU's alone: a
 * client without the floor keeps sending, so it is heard the moment it is given.
 */
export class Publisher {
  private tracks: MediaStreamTrack[] = [];
  private readonly producers = new Map<MediaSource, client.Producer>();
  /** Sources turned off by the participant or by a facilitator's lock; kept across a reconnect. */
  private readonly turnedOff = new Set<MediaSource>();
  private path: { socket: CircleSocket; transport: client.Transport } | undefined;
  private producing: Promise<void> = Promise.resolve();

  constructor(private readonly self: () => SelfView | undefined) {}

  /**
   * Whether the participant (and no lock) has the source on; a camera held for a weak uplink still counts, and so
   * does a track kept in the waiting room, to be sent once admitted.
   */
  enabled(source: MediaSource): boolean {
    const present = this.producers.has(source) || this.tracks.some((track) => sourceOf(track) === source && track.readyState !== 'ended');
    return present && !this.turnedOff.has(source);
  }

  /** The tracks to send; sent once there is a send transport (after admission). */
  setTracks(tracks: MediaStreamTrack[]): Promise<void> {
    this.tracks = tracks;
    return this.produceMissing();
  }

  attach(socket: CircleSocket, transport: client.Transport): Promise<void> {
    this.path = { socket, transport };
    return this.produceMissing();
  }

  /** Media is torn down (a rejoin, a leave): producers close; the participant's choices stay. */
  detach(): void {
    this.producers.forEach((producer) => producer.close());
    this.producers.clear();
    this.path = undefined;
  }

  /** The participant turns a source on or off; the server refuses turning on what a facilitator locked. */
  async setEnabled(source: MediaSource, enabled: boolean): Promise<void> {
    // A produce in flight (just admitted, just reconnected) may be the very producer this is about: wait for it, or
    // the server would hold a producer this never paused or resumed.
    await this.producing;
    const producer = this.producers.get(source);
    // Nothing sent yet (in the waiting room): the choice is kept and the producer starts paused if it says so.
    if (producer && this.path) await request(this.path.socket, enabled ? 'resumeProducer' : 'pauseProducer', { producerId: producer.id });
    if (enabled) this.turnedOff.delete(source);
    else this.turnedOff.add(source);
    this.reconcile();
  }

  /** Brings every local producer in line with the wanted state; run whenever the seat's view changes. */
  reconcile(): void {
    const self = this.self();
    for (const [source, producer] of this.producers) {
      // A facilitator's lock counts as the participant turning it off, as it does at the SFU.
      if (self?.locks[kindOf(source)]) this.turnedOff.add(source);
      const send = !this.turnedOff.has(source) && (source !== 'camera' || self?.link.sendVideo !== false);
      if (send && producer.paused) producer.resume();
      else if (!send && !producer.paused) producer.pause();
    }
  }

  /**
   * Sends what is not being sent yet. Calls queue behind each other: admission and `setTracks` can ask at the
   * same moment, and two overlapping passes would produce one track twice.
   */
  private produceMissing(): Promise<void> {
    const pass = this.producing.then(() => this.produceEach());
    this.producing = pass.catch(() => undefined);
    return pass;
  }

  private async produceEach(): Promise<void> {
    for (const track of this.tracks) {
      const path = this.path;
      const source = sourceOf(track);
      if (!path || this.producers.has(source) || track.readyState === 'ended') continue;
      const producer = await path.transport.produce(
        source === 'microphone'
          ? { track, codecOptions: { opusFec: true, opusDtx: true }, stopTracks: false, appData: { source } }
          : {
              track,
              encodings: SIMULCAST,
              codecOptions: { videoGoogleStartBitrate: 1000 },
              stopTracks: false,
              // A paused camera sends nothing at all, which is the point on a weak uplink.
              zeroRtpOnPause: true,
              appData: { source, videoSize: cameraSize(track) },
            },
      );
      this.producers.set(source, producer);
      this.reconcile();
      // A new producer runs at the SFU unless locked; one the participant had turned off (before a reconnect, or
      // in the waiting room) is paused there too.
      if (this.turnedOff.has(source) && !this.self()?.locks[kindOf(source)]) {
        await request(path.socket, 'pauseProducer', { producerId: producer.id });
      }
    }
  }
}
