// @ts-check
// watchparty-client: join a watchparty room from any page or Node program, with the official
// Socket.IO client. README.md shows a whole page.
import { io } from "socket.io-client";
import { connectRoom } from "./room.js";

export { Room, WatchpartyError, connectRoom } from "./room.js";
export { mergeMembers } from "./members.js";
export { Follower, DEFAULT_TUNING } from "./follow.js";
export { mediaPlayer, youtubePlayer } from "./players.js";
export { vimeoPlayer } from "./vimeo.js";
export { twitchPlayer } from "./twitch.js";
export { dailymotionPlayer } from "./dailymotion.js";
export { SyncClock, roomPosition, rateAt } from "./sync.js";

/**
 * Join room `roomId` on the watchparty server at `url`.
 * @param {string} url the server's origin, e.g. "https://watch.example"
 * @param {string} roomId
 * @param {import("./room.js").JoinOptions} [options] `name` (a guest's), or `token` (a
 *   session token from POST /api/auth/login), `password`, `invite`
 * @returns {Promise<import("./room.js").Room>}
 */
export function joinRoom(url, roomId, options = {}) {
  return connectRoom(io, url, roomId, options);
}
