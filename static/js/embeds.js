// @ts-check
// The players the video services embed (Vimeo, Twitch, Dailymotion), each loaded on first use
// from where the server says (data-players: its settings, which its CSP lets in), and
// PeerTube's videos, which its instance's API names as HLS streams we play ourselves. Each
// becomes the one player surface (players.js) through its adapter in clients/js.
import { t } from "./i18n.js";
import { vimeoPlayer } from "../../clients/js/src/vimeo.js";
import { twitchPlayer } from "../../clients/js/src/twitch.js";
import { dailymotionPlayer } from "../../clients/js/src/dailymotion.js";

/** @typedef {import("../../clients/js/src/follow.js").Player} Steered */
/** @typedef {{vimeo: string, twitch: string, dailymotion: string}} PlayerUrls */

/** @type {Map<string, Promise<void>>} */
const scripts = new Map();

/** A service's script, loaded once. @param {string} url */
function load(url) {
  let loading = scripts.get(url);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve();
      script.onerror = () => { scripts.delete(url); reject(new Error(t("The video service's player could not be loaded"))); };
      document.head.append(script);
    });
    scripts.set(url, loading);
  }
  return loading;
}

let mounts = 0;
/** A fresh element in `container` for a service's player (some SDKs want its id). @param {HTMLElement} container */
function mount(container) {
  const element = document.createElement("div");
  element.id = `embedded-player-${++mounts}`;
  element.className = "embedded";
  container.replaceChildren(element);
  return element;
}

/**
 * The one surface over a player still being made: answers "not ready" until it is.
 * @param {Promise<Steered>} making @param {(message: string) => void} onError
 * @returns {Steered & {gone: () => void}}
 */
export function pending(making, onError) {
  /** @type {Steered | null} */
  let player = null;
  let gone = false;
  making.then((made) => { if (!gone) player = made; }).catch((e) => onError(e.message));
  return {
    get tolerance() { return player ? player.tolerance : 0; },
    play: () => (player ? player.play() : Promise.resolve()),
    pause: () => player?.pause(),
    seek: (s) => player?.seek(s),
    time: () => (player ? player.time() : 0),
    duration: () => (player ? player.duration() : 0),
    paused: () => (player ? player.paused() : true),
    ready: () => Boolean(player && player.ready()),
    busy: () => Boolean(player && player.busy()),
    stalled: () => !player || player.stalled(),
    setRate: (rate) => player?.setRate(rate),
    gone: () => { gone = true; },
  };
}

/**
 * A Vimeo, Twitch or Dailymotion video (by the link the room keeps: core/links.py).
 * @param {HTMLElement} container @param {string} kind @param {string} source
 * @param {PlayerUrls} urls @param {(message: string) => void} onError
 */
export function embedded(container, kind, source, urls, onError) {
  const element = mount(container);
  const path = new URL(source).pathname.split("/").filter(Boolean);
  /** @type {any} */
  let sdkPlayer = null;
  /** @type {Promise<Steered>} */
  let making;
  if (kind === "vimeo") {
    making = load(urls.vimeo).then(() => {
      sdkPlayer = new window.Vimeo.Player(element, { url: source, controls: false, autoplay: false, dnt: true });
      sdkPlayer.on("error", () => onError(t("Vimeo cannot play this video")));
      return vimeoPlayer(sdkPlayer);
    });
  } else if (kind === "twitch") {
    making = load(urls.twitch).then(() => {
      const Player = window.Twitch.Player;
      const which = path[0] === "videos" ? { video: path[1] } : { channel: path[0] };
      sdkPlayer = new Player(element.id, {
        ...which, width: "100%", height: "100%", autoplay: false, parent: [window.location.hostname],
      });
      return twitchPlayer(sdkPlayer, Player);
    });
  } else {
    making = load(urls.dailymotion)
      .then(() => window.dailymotion.createPlayer(element.id, { video: path[1], params: { mute: false } }))
      .then((/** @type {any} */ made) => {
        sdkPlayer = made;
        return dailymotionPlayer(made, window.dailymotion.events);
      });
  }
  const player = pending(making, onError);
  return Object.assign(player, {  // not a spread: it would fix the tolerance getter's value
    kind, source,
    destroy: () => {
      player.gone();
      if (sdkPlayer && typeof sdkPlayer.destroy === "function") Promise.resolve(sdkPlayer.destroy()).catch(() => {});
      container.replaceChildren();
    },
    textTracks: () => [],
    captions: () => [],
    setCaptions: () => {},
  });
}

/**
 * Where a PeerTube video's stream is: its instance's API (GET /api/v1/videos/{id}) names its
 * HLS playlist (or, on an instance without HLS, a file).
 * @param {string} source https://{instance}/w/{id}
 * @returns {Promise<{kind: string, url: string}>}
 */
export async function peertubeStream(source) {
  const link = new URL(source);
  const id = link.pathname.split("/").filter(Boolean).pop() || "";
  const response = await fetch(`${link.origin}/api/v1/videos/${encodeURIComponent(id)}`);
  if (!response.ok) throw new Error(t("The PeerTube instance did not describe this video"));
  const video = await response.json();
  const playlist = (video.streamingPlaylists || []).find((/** @type {any} */ p) => typeof p.playlistUrl === "string");
  if (playlist) return { kind: "hls", url: playlist.playlistUrl };
  const file = (video.files || []).find((/** @type {any} */ f) => typeof f.fileUrl === "string");
  if (file) return { kind: "video", url: file.fileUrl };
  throw new Error(t("The PeerTube instance did not describe this video"));
}
