// @ts-check
// One small interface over the players, so the sync code does not care which one plays:
//   play() -> Promise, pause(), seek(seconds), time(), duration(), paused(), ready(),
//   busy() (seeking or loading), stalled() (cannot play on from here yet), setRate(rate),
//   destroy(), and tolerance: how far off (seconds) is not worth a seek with this player;
//   and for subtitles, textTracks() (the tracks a stream carries) or, for YouTube,
//   captions() and setCaptions(code) (YouTube's own, drawn by its player)
// Player events are never turned into room commands: only the page's own controls send those,
// so a player reacting to the room can never echo back into it.
import { t } from "./i18n.js";
import { mediaPlayer, youtubePlayer } from "../../clients/js/src/players.js";
import { embedded, peertubeStream, pending } from "./embeds.js";

// dash.js (vendored, 0.7 MB): loaded on the first DASH stream, not with every page.
/** @type {Promise<any> | null} */
let dashApi = null;
function loadDash() {
  if (!dashApi) {
    dashApi = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "/static/vendor/dash.mediaplayer.min.js";
      script.onload = () => resolve(window.dashjs);
      script.onerror = () => { dashApi = null; reject(new Error(t("The DASH player could not be loaded"))); };
      document.head.append(script);
    });
  }
  return dashApi;
}

/**
 * A <video> (or an <audio> for a sound file), fed by hls.js or dash.js for a stream.
 * @param {HTMLElement} container @param {string} kind @param {string} source
 * @param {(message: string) => void} onError
 * @returns {Player}
 */
function htmlMedia(container, kind, source, onError) {
  const video = document.createElement(kind === "audio" ? "audio" : "video");
  if (video instanceof HTMLVideoElement) video.playsInline = true;
  else video.controls = false;
  video.preload = "auto";
  // Drift is corrected by small changes of playback rate. Keeping the pitch makes Chromium
  // stretch the audio (WSOLA), and every change to a rate other than 1 then puts the
  // media clock ~19 ms back (measured; docs/sync.md); resampling changes speed at once, at
  // the price of a pitch shift as small as the nudge (5 %: under a semitone) while it lasts.
  video.preservesPitch = false;
  video.setAttribute("aria-label", kind === "audio" ? t("Audio") : t("Video"));
  container.replaceChildren(video);
  /** @type {any} */
  let hls = null;
  /** @type {any} */
  let dash = null;
  let gone = false;
  // hls.js wherever Media Source Extensions exist (the same player everywhere); the
  // browser's own HLS only where they don't (iOS Safari). hls.js documents this order.
  if (kind === "hls" && window.Hls && window.Hls.isSupported()) {
    hls = new window.Hls();
    hls.loadSource(source);
    hls.attachMedia(video);
  } else if (kind === "dash") {
    // dash.js plays through Media Source Extensions; until it has loaded the player waits
    // (not ready) like any player still loading.
    loadDash().then((/** @type {any} */ dashjs) => {
      if (gone) return;
      dash = dashjs.MediaPlayer().create();
      dash.initialize(video, source, false);
    }).catch((e) => onError(e.message));
  } else {
    video.src = source;
  }
  return {
    ...mediaPlayer(video),
    kind, source,
    destroy: () => {
      gone = true;
      if (hls) hls.destroy();
      if (dash) dash.reset();
      video.removeAttribute("src");
      video.load();
    },
    textTracks: () => [...video.textTracks].filter((t) => t.kind === "subtitles" || t.kind === "captions"),
    captions: () => [],
    setCaptions: () => {},
  };
}

// YouTube's IFrame Player API: the one script the page loads from outside, on first use.
/** @type {Promise<any> | null} */
let youtubeApi = null;
function loadYouTubeApi() {
  if (!youtubeApi) {
    youtubeApi = new Promise((resolve, reject) => {
      window.onYouTubeIframeAPIReady = () => resolve(window.YT);
      const script = document.createElement("script");
      script.src = "https://www.youtube.com/iframe_api";
      script.onerror = () => { youtubeApi = null; reject(new Error(t("YouTube's player could not be loaded"))); };
      document.head.append(script);
    });
  }
  return youtubeApi;
}

/**
 * @param {HTMLElement} container @param {string} source @param {(message: string) => void} onError
 * @returns {Player}
 */
function youtube(container, source, onError) {
  const mount = document.createElement("div");
  container.replaceChildren(mount);
  /** @type {any} */
  let player = null;
  let isReady = false;
  loadYouTubeApi().then((/** @type {any} */ YT) => {
    player = new YT.Player(mount, {
      videoId: source,
      playerVars: { controls: 0, disablekb: 1, rel: 0, playsinline: 1, modestbranding: 1 },
      events: { onReady: () => { isReady = true; }, onError: () => onError(t("YouTube cannot play this video")) },
    });
  }).catch((e) => onError(e.message));
  const call = (/** @type {(p: any) => any} */ fn) => (player && isReady ? fn(player) : undefined);
  return {
    ...youtubePlayer(() => player, () => isReady && player !== null),
    kind: "youtube", source,
    destroy: () => call((p) => p.destroy()),
    textTracks: () => [],
    // YouTube's own captions (its IFrame API's captions module): [{id, label}]
    captions: () => {
      const list = call((p) => { p.loadModule("captions"); return p.getOption("captions", "tracklist"); });
      return Array.isArray(list) ? list.map((t) => ({ id: String(t.languageCode), label: String(t.displayName || t.languageCode) })) : [];
    },
    setCaptions: (code) => call((p) => {
      if (code) p.setOption("captions", "track", { languageCode: code });
      else p.unloadModule("captions");
    }),
  };
}

/**
 * @typedef {{kind: string, source: string, tolerance: number, play: () => Promise<unknown>,
 *   pause: () => void, seek: (seconds: number) => void, time: () => number,
 *   duration: () => number, paused: () => boolean, ready: () => boolean, busy: () => boolean,
 *   stalled: () => boolean, setRate: (rate: number) => void, destroy: () => void,
 *   textTracks: () => TextTrack[], captions: () => {id: string, label: string}[],
 *   setCaptions: (code: string | null) => void}} Player
 */

/**
 * A PeerTube video: the stream its instance names, in our own <video>.
 * @param {HTMLElement} container @param {string} source @param {(message: string) => void} onError
 * @returns {Player}
 */
function peertube(container, source, onError) {
  /** @type {Player | null} */
  let inner = null;
  let gone = false;
  const made = peertubeStream(source).then(({ kind, url }) => {
    if (gone) throw new Error("replaced");
    inner = htmlMedia(container, kind, url, onError);
    return inner;
  });
  const player = pending(made, (message) => { if (!gone) onError(message); });
  return Object.assign(player, {  // not a spread: it would fix the tolerance getter's value
    kind: "peertube", source,
    destroy: () => { gone = true; player.gone(); if (inner) inner.destroy(); },
    textTracks: () => (inner ? inner.textTracks() : []),
    captions: () => [],
    setCaptions: () => {},
  });
}

/**
 * A player for one video, in `container`.
 * @param {HTMLElement} container
 * @param {string} kind the room's `video_kind` (docs/protocol.md, "Kinds")
 * @param {string} source
 * @param {(message: string) => void} onError
 * @param {import("./embeds.js").PlayerUrls} urls where the services' players load from
 * @returns {Player}
 */
export function create(container, kind, source, onError, urls) {
  if (kind === "youtube") return youtube(container, source, onError);
  if (kind === "vimeo" || kind === "twitch" || kind === "dailymotion") {
    return embedded(container, kind, source, urls, onError);
  }
  if (kind === "peertube") return peertube(container, source, onError);
  return htmlMedia(container, kind, source, onError);
}
