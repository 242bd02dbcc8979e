import type { z } from 'zod';
import type { NodeRequests } from '../cluster/node-requests.js';
import type { CircleConfig } from '../config/schema.js';
import type { NodeRoster } from '../cluster/node-roster.js';
import { CircleError } from '../protocol/errors.js';
import type { SessionReports } from '../reports/session-reports.js';
import type { Participant } from '../rooms/participant.js';
import type { RoomRecord } from '../rooms/room-record.js';
import type { RoomRegistry } from '../rooms/room-registry.js';
import type { Room } from '../rooms/room.js';
import type { RoomDirectory } from '../store/room-directory.js';
import { parseInput } from './json-route.js';
import * as api from './schemas.js';

type LiveRoom = z.infer<typeof api.liveRoom>;

function describe(room: Room, withNames: boolean): LiveRoom {
  const person = (p: Participant): z.infer<typeof api.liveParticipant> => ({
    participantId: p.id,
    role: p.role,
    admission: p.admitted ? 'admitted' : 'waiting',
    connection: p.connection,
    inSideRoom: p.sideRoomId !== null,
    muted: p.locks.audio,
    ...(withNames ? { displayName: p.identity.displayName } : {}),
  });
  return {
    roomId: room.id,
    started: room.record.started,
    locked: room.record.locked,
    onHold: room.isOnHold,
    participants: [...room.participants.values()].map(person),
  };
}

interface Here {
  registry: RoomRegistry;
  reports: SessionReports;
  config: CircleConfig;
}

/** What another node may ask of this one: the API's operations on rooms, as this node answers them for itself. */
function localOperations({ registry, reports, config }: Here) {
  const live = (roomId: string) => {
    const room = registry.get(roomId);
    if (!room) throw new CircleError('NOT_FOUND', 'no live room by that id');
    return room;
  };
  const session = (roomId: string, record: RoomRecord): z.infer<typeof api.sessionDescription> => {
    const defaults = { requireAdmission: config.rooms.requireAdmission, maxParticipants: config.rooms.maxParticipantsPerRoom, e2eeMode: config.e2ee.mode, e2eeDialIn: config.e2ee.dialIn };
    const { requireAdmission, maxParticipants, e2eeMode, e2eeDialIn } = record.settingsOver(defaults);
    const turnLimitSeconds = record.floor.turnLimitMs === null ? null : record.floor.turnLimitMs / 1000;
    return {
      roomId,
      started: record.started,
      ended: record.ended,
      locked: record.locked,
      live: registry.get(roomId) !== undefined,
      settings: { waitingRoom: requireAdmission, floorMode: record.floor.mode, turnLimitSeconds, maxParticipants, e2ee: e2eeMode, e2eeDialIn },
    };
  };
  return {
    setUpSession: async (input: unknown) => {
      const { roomId, ...setup } = parseInput(api.roomPath.merge(api.sessionSetup), input, 'input');
      if ((setup.maxParticipants ?? 0) > config.rooms.maxParticipantsPerRoom) {
        throw new CircleError('BAD_REQUEST', `body.maxParticipants: at most ${config.rooms.maxParticipantsPerRoom} on this deployment`);
      }
      const record = await registry.configureSession(roomId, {
        ...(setup.waitingRoom !== undefined ? { requireAdmission: setup.waitingRoom } : {}),
        ...(setup.maxParticipants !== undefined ? { maxParticipants: setup.maxParticipants } : {}),
        ...(setup.e2ee !== undefined ? { e2eeMode: setup.e2ee } : {}),
        ...(setup.e2eeDialIn !== undefined ? { e2eeDialIn: setup.e2eeDialIn } : {}),
        ...(setup.floorMode !== undefined ? { floorMode: setup.floorMode } : {}),
        ...(setup.turnLimitSeconds !== undefined ? { turnLimitMs: setup.turnLimitSeconds === null ? null : setup.turnLimitSeconds * 1000 } : {}),
      });
      return session(roomId, record);
    },
    describeSession: async (input: unknown) => {
      const { roomId } = parseInput(api.roomPath, input, 'input');
      const record = await registry.anyRecord(roomId);
      if (!record) throw new CircleError('NOT_FOUND', 'no such session (or its record has expired)');
      return session(roomId, record);
    },
    listRooms: async (input: unknown) => {
      const { withNames } = parseInput(api.nodeListInput, input, 'input');
      return [...registry.openRooms()].map((room) => describe(room, withNames));
    },
    describeRoom: async (input: unknown) => {
      const { roomId, withNames } = parseInput(api.nodeRoomInput, input, 'input');
      return describe(live(roomId), withNames);
    },
    sessionReport: async (input: unknown) => {
      const { roomId } = parseInput(api.nodeRoomInput, input, 'input');
      const report = await reports.anyReport(roomId);
      if (!report) throw new CircleError('NOT_FOUND', 'no report of that session (or it has expired)');
      return report;
    },
    muteParticipant: async (input: unknown) => {
      const { roomId, participantId } = parseInput(api.participantPath, input, 'input');
      await live(roomId).moderation.muteForAdministrator(participantId);
      return {};
    },
    endRoom: async (input: unknown) => {
      const { roomId } = parseInput(api.roomPath, input, 'input');
      return { ended: await registry.endHereOrInRecord(roomId) };
    },
    removeParticipant: async (input: unknown) => {
      const { roomId, participantId } = parseInput(api.participantPath, input, 'input');
      live(roomId).moderation.removeForAdministrator(participantId);
      return {};
    },
  };
}

type RoomOperation = Exclude<keyof ReturnType<typeof localOperations>, 'listRooms' | 'endRoom'>;

export interface ClusterReach {
  directory: RoomDirectory;
  roster: NodeRoster;
  requests: NodeRequests;
}

/**
 * The server API's operations on rooms, for the whole cluster from whichever node a request reaches: an operation
 * on a room runs on the node that holds its lease (asked over the store, `UNAVAILABLE` if it does not answer), or
 * here when no node runs it (a report then comes from the store); the list gathers every live node's rooms.
 */
export class RoomOperations {
  private readonly here;

  private readonly registry: RoomRegistry;

  constructor(
    here: Here,
    private readonly cluster: ClusterReach,
  ) {
    this.registry = here.registry;
    this.here = localOperations(here);
    const operations: Record<string, (input: unknown) => Promise<unknown>> = this.here;
    cluster.requests.serve(async (operation, input) => {
      const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
      if (!run) throw new CircleError('UNKNOWN_EVENT', `no operation ${operation}`);
      return run(input);
    });
  }

  /** Every live node's rooms, and how many nodes did not answer (their rooms are missing from the list). */
  async listRooms(withNames: boolean): Promise<{ rooms: LiveRoom[]; unreachableNodes: number }> {
    const peers = await this.cluster.roster.peers();
    const answers = await Promise.allSettled(peers.map((nodeId) => this.cluster.requests.ask(nodeId, 'listRooms', { withNames })));
    const rooms = await this.here.listRooms({ withNames });
    for (const answer of answers) if (answer.status === 'fulfilled') rooms.push(...(answer.value as LiveRoom[]));
    return { rooms, unreachableNodes: answers.filter((answer) => answer.status === 'rejected').length };
  }

  async onRoom(operation: RoomOperation, input: { roomId: string; [field: string]: unknown }): Promise<unknown> {
    return this.hereOrOwner(input.roomId, () => this.here[operation](input), (owner) => this.cluster.requests.ask(owner, operation, input));
  }

  /** Ends a session wherever it runs; `owner` when the node that runs it ended it. */
  async endRoom(roomId: string): Promise<z.infer<typeof api.endResponse>> {
    return this.hereOrOwner<z.infer<typeof api.endResponse>>(
      roomId,
      () => this.here.endRoom({ roomId }),
      async (owner) => {
        await this.cluster.requests.ask(owner, 'endRoom', { roomId });
        return { ended: 'owner' as const };
      },
    );
  }

  /** Runs `here`, unless another node runs the room (found before, or by `here` as `MOVED`): then `there` asks it. */
  private async hereOrOwner<T>(roomId: string, here: () => Promise<T>, there: (owner: string) => Promise<T>): Promise<T> {
    const owner = await this.ownerElsewhere(roomId);
    if (owner) return there(owner);
    try {
      return await here();
    } catch (error) {
      const opener = error instanceof CircleError && error.code === 'MOVED' ? await this.ownerElsewhere(roomId) : undefined;
      if (!opener) throw error;
      return there(opener);
    }
  }

  /** The node that runs the room, when it is not this one. */
  private async ownerElsewhere(roomId: string): Promise<string | undefined> {
    if (this.registry.get(roomId)) return undefined;
    const owner = await this.cluster.directory.owner(roomId);
    return owner && owner.nodeId !== this.cluster.roster.selfId ? owner.nodeId : undefined;
  }
}
