// static/js/cues.js: which cues show, which track a viewer sees, SRT made WebVTT.
import { test } from "node:test";
import assert from "node:assert/strict";
import { asWebVtt, cuesAt, pickTrack } from "../../../static/js/cues.js";

const cues = [
  { start: 1, end: 2.5, text: "Bonjour" },
  { start: 2, end: 3, text: "overlap" },
  { start: 3, end: 4, text: "Deux" },
];

test("cues show from their start up to (not at) their end", () => {
  assert.deepEqual(cuesAt(cues, 0.99), []);
  assert.deepEqual(cuesAt(cues, 1), ["Bonjour"]);
  assert.deepEqual(cuesAt(cues, 2.2), ["Bonjour", "overlap"]);
  assert.deepEqual(cuesAt(cues, 3), ["Deux"]);
  assert.deepEqual(cuesAt(cues, 4), []);
});

test("SubRip becomes WebVTT; WebVTT stays as it is", () => {
  const srt = "\uFEFF1\r\n00:00:01,000 --> 00:00:02,500\r\nHi, there\r\n";
  assert.equal(asWebVtt(srt), "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nHi, there\n");
  const vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\nx\n";
  assert.equal(asWebVtt(vtt), vtt);
});

test("a viewer's language wins, then its base language, then the default, else none", () => {
  const track = (id, lang, isDefault = false) => ({ id, label: id, lang, url: "/x", kind: "subtitles", default: isDefault });
  const tracks = [track("en", "en-GB", true), track("fr", "fr-CA"), track("de", "de")];
  assert.equal(pickTrack(tracks, "de")?.id, "de");
  assert.equal(pickTrack(tracks, "fr")?.id, "fr");
  assert.equal(pickTrack(tracks, "FR-ca")?.id, "fr");
  assert.equal(pickTrack(tracks, "ja")?.id, "en");
  assert.equal(pickTrack(tracks, null)?.id, "en");
  assert.equal(pickTrack(tracks, "off"), null);
  assert.equal(pickTrack([track("fr", "fr")], null), null);
});
