import type { CallSeats } from '../rooms/call-seats.js';

/**
 * What the phone bridge may do in the rooms, and all it knows of them: the seat operations of a call
 * (`src/rooms/call-seats.ts`), each on the membership the join gave it.
 */
export type SeatGateway = Pick<
  CallSeats,
  | 'join'
  | 'hangUp'
  | 'lose'
  | 'tellStaffOfWrongPins'
  | 'seatOf'
  | 'floor'
  | 'peers'
  | 'setMicrophone'
  | 'toggleHand'
  | 'sendVoice'
  | 'openReceiver'
  | 'listenFor'
  | 'onParted'
  | 'roomKey'
  | 'encryption'
  | 'offerKeys'
  | 'commitKeys'
>;
