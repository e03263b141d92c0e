// Types of watchparty-client (src/ is plain JavaScript, checked by tsc from these JSDoc types).

export interface Track { id: string; label: string; lang: string; url: string; kind: "subtitles" | "captions"; default: boolean }
export interface QueueItem {
  id: string; video_id: string; kind?: string | null; title?: string | null; duration?: number | null;
  subtitles?: Track[]; added_by?: string | null;
}
/** STATE (docs/protocol.md): where the room's playback is, on the server's clock. */
export interface RoomState {
  room?: string; version: number; video_id: string | null; video_kind?: string | null;
  playing: boolean; position: number; updated_at: number; rate: number; lead_rate?: number;
  rates?: number[] | null; duration?: number | null; title?: string | null; waiting?: boolean;
  queue: QueueItem[]; subtitles?: Track[];
  /** a live channel: only playing or not is shared, never a position */ live?: boolean;
}
export interface Member { id: string; name: string; user_id: string | null; signed_in: boolean; role: "owner" | "moderator" | "member" | "guest" }
export interface Change { event: string; by?: string | null }
export interface Tuning { seekAbove: number; nudgeAbove: number; maxNudge: number; pausedSeekAbove: number; gain?: number; settle?: number }
export interface JoinOptions {
  /** a guest's display name */ name?: string;
  /** a session token (POST /api/auth/login's `token`) */ token?: string;
  password?: string; invite?: string; guest?: string;
  /** Socket.IO's path on the server (default /socket.io) */ path?: string;
  /** ms to wait for an acknowledgement (default 8000) */ timeout?: number;
  tuning?: Partial<Tuning>;
  /** more options for socket.io-client's io() */ socket?: Record<string, unknown>;
}
export interface Player {
  play(): Promise<unknown>; pause(): void; seek(seconds: number): void; time(): number; duration(): number;
  paused(): boolean; ready(): boolean; busy(): boolean; stalled(): boolean; setRate(rate: number): void; tolerance: number;
  /** seconds of media held from `from` on (0: none there); leave it out if the player cannot tell */
  held?(from: number): number;
}
export interface Ack { ok: true; state?: RoomState; [key: string]: unknown }

export class WatchpartyError extends Error {
  /** the protocol's stable code: no_video, forbidden, password_required, timeout, ... */
  code: string;
  params: Record<string, unknown>;
}

export class Room {
  state: RoomState | null;
  info: any;
  you: (Member & { resume: string; guest_token?: string }) | null;
  readonly members: Member[];
  roster: Roster;
  socket: any;
  /** server time now (seconds), by the clock estimate */
  serverNow(): number;
  /** where the room's video is now (seconds) */
  position(): number;
  on(event: "state", listener: (state: RoomState, change: Change) => void): () => void;
  /** `delta`: the MEMBERS message that changed the roster (null after listMembers) */
  on(event: "members", listener: (members: Member[], delta: MembersMessage | null) => void): () => void;
  on(event: "chat", listener: (message: { id: string; by: string; text: string; at: number }) => void): () => void;
  on(event: string, listener: (...args: any[]) => void): () => void;
  send(event: string, payload?: object): Promise<Ack>;
  /** the whole list of a room too large to send it (roster.listed false) */
  listMembers(): Promise<Member[]>;
  play(): Promise<Ack>;
  pause(): Promise<Ack>;
  seek(seconds: number): Promise<Ack>;
  changeVideo(videoId: string, more?: { title?: string; duration?: number; subtitles?: object[] }): Promise<Ack>;
  setRate(rate: number): Promise<Ack>;
  setQueue(queue: Array<Partial<QueueItem> & { video_id: string }>): Promise<Ack>;
  addToQueue(item: { video_id: string; title?: string; duration?: number }, position?: number): Promise<Ack>;
  removeFromQueue(id: string): Promise<Ack>;
  moveInQueue(id: string, to: number): Promise<Ack>;
  setSubtitles(subtitles: object[], id?: string): Promise<Ack>;
  chat(text: string): Promise<Ack>;
  /** keep a <video>/<audio> (or a YT.Player, Vimeo.Player, Twitch.Player or Dailymotion
   * player with its kind; Dailymotion's with events: dailymotion.events) on the room; returns stop() */
  attach(
    target: HTMLMediaElement | any,
    options?: { kind?: "media" | "youtube" | "vimeo" | "twitch" | "dailymotion"; events?: Record<string, string> },
  ): () => void;
  /** a Follower for players the caller makes and replaces (follower.use(player)) */
  follow(hooks?: { blocked?: () => boolean; played?: (ok: boolean) => void }): Follower;
  unfollow(follower: Follower): void;
  /** a state learnt another way (an HTTP answer): kept if newer */
  apply(state: RoomState): void;
  close(): void;
}

export function joinRoom(url: string, roomId: string, options?: JoinOptions): Promise<Room>;
export function connectRoom(io: (url: string, options: object) => any, url: string, roomId: string, options?: JoinOptions): Promise<Room>;
export interface Roster { members: Member[]; listed: boolean; count: number }
export interface MembersMessage {
  joined: Member[]; left: string[]; changed: Member[]; count: number; listed?: boolean; members?: Member[];
}
export function mergeMembers(roster: Roster, message: object): Roster;
export function roomPosition(state: RoomState | null, now: number): number;
export function rateAt(state: RoomState, now: number): number;
export function mediaPlayer(media: HTMLMediaElement): Player;
export function youtubePlayer(youtube: () => any, ready?: () => boolean): Player;
/** over a Vimeo.Player (Vimeo's Player SDK) */
export function vimeoPlayer(vimeo: any, now?: () => number): Player;
/** over a Twitch.Player; events: Twitch.Player (its READY, PLAY, ... names) */
export function twitchPlayer(twitch: any, events: Record<string, string>): Player;
/** over a player from dailymotion.createPlayer(); events: dailymotion.events */
export function dailymotionPlayer(player: any, events: Record<string, string>, now?: () => number): Player;
export const DEFAULT_TUNING: Tuning;
/** The offset from this side's monotonic clock to the server's, its drift and its error. */
export class SyncClock {
  constructor(options?: { keep?: number; maxSkew?: number });
  /** Server time minus local time at local time `at` (seconds); null until a round trip. */
  offset: number | null; at: number;
  /** How much the offset grows per second of local time (2e-4: 200 ppm). */
  skew: number;
  /** How far the offset may be off (seconds; Infinity until a round trip). */
  error: number;
  rtt: number | null;
  add(t0: number, t1: number, server: number): void;
  offsetAt(local: number): number;
  serverTime(local: number): number; localTime(server: number): number; reset(): void;
}
export class Follower {
  constructor(source: object, tuning: Tuning, hooks?: { blocked?: () => boolean; played?: (ok: boolean) => void });
  use(player: Player | null): void; update(): void; tick(): void; stop(): void;
}
