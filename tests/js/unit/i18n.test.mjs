// static/js/i18n.js outside a page: every text is its English self, placeholders filled;
// a server error reads from its code's template when the page has one, else its message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describe, fill, t } from "../../../static/js/i18n.js";

test("without a catalogue a text is itself, its placeholders filled", () => {
  assert.equal(t("Copy link"), "Copy link");
  assert.equal(t("Play {title} now", { title: "clip.webm" }), "Play clip.webm now");
  assert.equal(t("{name} joined", {}), "{name} joined");  // a missing value stays visible
});

test("Python format specs in the error templates show the plain value", () => {
  assert.equal(fill("cannot play at {rate:g}x, only at {rates}", { rate: 3, rates: "1, 2" }),
    "cannot play at 3x, only at 1, 2");
  assert.equal(fill("no queue item has id {item_id!r}", { item_id: "q1" }), "no queue item has id q1");
  assert.equal(fill("at {position:.1f} s", { position: 1.25 }), "at 1.25 s");
  assert.equal(fill("{a}{b}", { a: "{b}", b: "x" }), "{b}x");  // values are not filled again
});

test("an error without a template in this language reads as the server said", () => {
  assert.equal(describe({ code: "queue_full", message: "a queue holds at most 50 items", params: { limit: 50 } }),
    "a queue holds at most 50 items");
  assert.equal(describe({ code: "no_video" }), "no_video");
  assert.equal(describe(null), "");
});
