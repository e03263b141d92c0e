// @ts-check
// Subtitles in the room page: each viewer picks a track or none (kept in this browser, never
// sent), and the cues are drawn over the player for the *room's* position, so a player being
// steered by a rate nudge shows them in step. Room tracks are fetched and parsed by the
// browser's own WebVTT parser; tracks a stream carries (HLS) come from the player; YouTube
// draws its own captions. Members who may edit the queue can add a track to the video.
import { api } from "../api.js";
import { t } from "../i18n.js";
import { asWebVtt, cuesAt, pickTrack } from "../cues.js";
import { $, memberProof, showError } from "./view.js";

/** @typedef {import("./view.js").Room} Room */
/** @typedef {import("../cues.js").Cue} Cue */
/** @typedef {import("../../../clients/js/src/sync.js").Track} Track */
/** @typedef {import("../players.js").Player} Player */

const choiceKey = "watchparty:subtitles";  // a language tag, or "off"

/**
 * Cues parsed by the browser: a hidden media element reads the WebVTT as a track would.
 * @param {string} vtt @returns {Promise<Cue[]>}
 */
function parse(vtt) {
  return new Promise((resolve, reject) => {
    const video = document.createElement("video");
    video.hidden = true;
    const element = document.createElement("track");
    const url = URL.createObjectURL(new Blob([vtt], { type: "text/vtt" }));
    element.src = url;
    video.append(element);
    document.body.append(video);
    const done = () => { URL.revokeObjectURL(url); video.remove(); };
    element.addEventListener("load", () => {
      const cues = [...(element.track.cues || [])].map((cue) => toCue(/** @type {VTTCue} */ (cue)));
      done();
      resolve(cues);
    });
    element.addEventListener("error", () => { done(); reject(new Error(t("the subtitles could not be read"))); });
    element.track.mode = "hidden";
  });
}

/** @param {VTTCue} cue @returns {Cue} */
function toCue(cue) {
  return { start: cue.startTime, end: cue.endTime, text: cue.getCueAsHTML().textContent || "" };
}

/**
 * @param {Room} room
 * @param {() => number} position where the room is now, seconds
 * @param {() => Player | null} currentPlayer
 */
export function wireSubtitles(room, position, currentPlayer) {
  const select = $("subtitles");
  const overlay = $("cue");
  /** @type {Map<string, Promise<Cue[]>>} url -> its cues */
  const loaded = new Map();
  /** @type {Cue[]} */
  let showing = [];
  let shownText = "";
  let optionsKey = "";
  let wanted = "";  // the option picked: "", "room:<id>", "stream:<n>", "youtube:<code>"

  /** @param {string} url */
  function load(url) {
    let cues = loaded.get(url);
    if (!cues) {
      cues = fetch(url)
        .then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.text(); })
        .then((text) => parse(asWebVtt(text)));
      cues.catch(() => loaded.delete(url));
      loaded.set(url, cues);
    }
    return cues;
  }

  function options() {
    const player = currentPlayer();
    /** @type {{value: string, label: string, lang: string}[]} */
    const list = [{ value: "off", label: t("Subtitles off"), lang: "off" }];
    for (const track of (room.state && room.state.subtitles) || []) {
      list.push({ value: `room:${track.id}`, label: `${track.label} (${track.lang})`, lang: track.lang });
    }
    if (player) {
      player.textTracks().forEach((track, i) => {
        const name = track.label || track.language || t("Track");  // (not nested in t(): pybabel)
        list.push({ value: `stream:${i}`, label: t("{name} (stream)", { name }), lang: track.language });
      });
      for (const c of player.captions()) list.push({ value: `youtube:${c.id}`, label: `${c.label} (YouTube)`, lang: c.id });
    }
    return list;
  }

  /** The option this viewer's language choice picks among `list`. */
  function choose(/** @type {{value: string, lang: string}[]} */ list) {
    const preference = localStorage.getItem(choiceKey);
    const tracks = (room.state && room.state.subtitles) || [];
    const track = pickTrack(tracks, preference);
    if (track) return `room:${track.id}`;
    if (preference && preference !== "off") {
      const other = list.find((o) => o.value !== "off" && o.lang && o.lang.toLowerCase().split("-")[0] === preference.toLowerCase().split("-")[0]);
      if (other) return other.value;
    }
    return "off";
  }

  function refresh() {
    const list = options();
    const key = list.map((o) => `${o.value}=${o.label}`).join("|");
    if (key !== optionsKey) {
      optionsKey = key;
      select.replaceChildren(...list.map((o) => new Option(o.label, o.value)));
      select.hidden = list.length < 2;
    }
    const next = choose(list);
    if (next !== wanted) pick(next);
    select.value = wanted;
  }

  /** @param {string} value */
  function pick(value) {
    wanted = value;
    showing = [];
    const player = currentPlayer();
    if (!player) return;
    const [kind, id] = [value.slice(0, value.indexOf(":")), value.slice(value.indexOf(":") + 1)];
    player.textTracks().forEach((track, i) => { track.mode = kind === "stream" && String(i) === id ? "hidden" : "disabled"; });
    player.setCaptions(kind === "youtube" ? id : null);
    if (kind === "room") {
      const track = ((room.state && room.state.subtitles) || []).find((track) => track.id === id);
      if (track) {
        load(track.url).then((cues) => { if (wanted === value) showing = cues; })
          .catch((e) => showError(t("Subtitles \"{label}\" could not be loaded: {reason}", { label: track.label, reason: e.message })));
      }
    }
  }

  function draw() {
    let cues = showing;
    if (wanted.startsWith("stream:")) {
      const track = (currentPlayer()?.textTracks() || [])[Number(wanted.slice(7))];
      cues = track && track.cues ? [...track.cues].map((c) => toCue(/** @type {VTTCue} */ (c))) : [];
    }
    const text = cuesAt(cues, position()).join("\n");
    if (text === shownText) return;
    shownText = text;
    overlay.replaceChildren(...text.split("\n").filter(Boolean).map((line) => {
      const span = document.createElement("span");
      span.textContent = line;  // text only: cue markup never becomes the page's
      return span;
    }));
    overlay.hidden = !text;
  }
  setInterval(draw, 50);
  setInterval(refresh, 1000);  // stream and YouTube tracks appear once their player has loaded

  select.addEventListener("change", () => {
    const option = options().find((o) => o.value === select.value);
    localStorage.setItem(choiceKey, option ? option.lang || "off" : "off");
    pick(select.value);
  });

  $("subtitle-form").addEventListener("submit", async (/** @type {Event} */ e) => {
    e.preventDefault();
    const state = room.state;
    if (!state || !state.video_id) { showError(t("Play a video before adding subtitles to it.")); return; }
    const file = $("subtitle-file").files[0];
    let url = $("subtitle-url").value.trim();
    if (file) {
      const type = /\.srt$/i.test(file.name) ? "application/x-subrip" : "text/vtt";
      const res = await api("POST", `/api/rooms/${room.id}/subtitles`, file, type, memberProof(room));
      if (!res.ok) { showError(t("Upload refused: {reason}", { reason: res.message })); return; }
      url = res.data.url;
    }
    if (!url) { showError(t("Choose a subtitle file or give its link.")); return; }
    const track = { label: $("subtitle-label").value.trim(), lang: $("subtitle-lang").value.trim(), url };
    const tracks = (state.subtitles || []).map(({ id, label, lang, url: link, kind }) => ({ id, label, lang, url: link, kind }));
    if (await room.send("SET_SUBTITLES", { subtitles: [...tracks, track] })) {
      localStorage.setItem(choiceKey, track.lang);
      /** @type {HTMLFormElement} */ ($("subtitle-form")).reset();
    }
  });

  return { refresh };
}
