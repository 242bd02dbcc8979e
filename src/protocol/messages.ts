/** Who a message is for: everyone in the group, the staff (facilitators and co-facilitators), or one participant. */
export type MessageAudience = 'everyone' | 'staff' | { participantId: string };

/** How a message was addressed, for counting (never who): to everyone, to the staff, or to one person. */
export type AudienceKind = 'everyone' | 'staff' | 'one';

/** A message as its readers receive it. Never stored: it lives in memory only until it is delivered. */
export interface ChatMessage {
  messageId: string;
  from: string;
  /** The sender's name as the reader may not otherwise know it (a waiting client sees no one). */
  fromName: string;
  /** `'everyone'`, `'staff'`, or for a private message the reader's own participant id. */
  to: 'everyone' | 'staff' | string;
  text: string;
  /** ISO time */
  sentAt: string;
}
