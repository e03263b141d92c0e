// @ts-check
// Reactions: a row of emoji buttons under the player, and every member's reactions floating
// up over the player for a moment (REACTIONS says how many of each, a few times a second at
// most). Nothing is kept; a burst shows a handful of each emoji, not one per viewer.
import { $ } from "./view.js";

/** @typedef {import("./view.js").Room} Room */

const SHOWN_PER_EMOJI = 5;  // of a count, at most this many float up
const MAX_FLOATING = 40;  // on the player at once
const FLOAT_MS = 2200;

/** @param {Room} room */
export function wireReactions(room) {
  const layer = $("reactions-shown");
  for (const button of document.querySelectorAll("button.react")) {
    button.addEventListener("click", () => {
      const emoji = /** @type {HTMLElement} */ (button).dataset.emoji;
      if (emoji) room.send("REACT", { emoji });
    });
  }
  room.socket.on("REACTIONS", (/** @type {{counts: Record<string, number>}} */ { counts }) => {
    for (const [emoji, count] of Object.entries(counts || {})) {
      for (let i = 0; i < Math.min(Number(count) || 0, SHOWN_PER_EMOJI); i++) {
        if (layer.childElementCount >= MAX_FLOATING) return;
        const span = document.createElement("span");
        span.textContent = emoji;  // text, never HTML
        span.style.left = `${10 + Math.random() * 80}%`;
        span.style.animationDelay = `${i * 120}ms`;
        layer.append(span);
        setTimeout(() => span.remove(), FLOAT_MS + i * 120);
      }
    }
  });
}
