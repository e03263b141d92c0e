// static/js/links.js: what a pasted link becomes, and how times read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatTime, parseVideo } from "../../../static/js/links.js";

const page = { href: "https://party.example/r/abc", origin: "https://party.example" };

test("YouTube links and ids in every common shape", () => {
  for (const text of [
    "dQw4w9WgXcQ",
    " https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42 ",
    "https://youtu.be/dQw4w9WgXcQ",
    "https://m.youtube.com/shorts/dQw4w9WgXcQ",
    "https://music.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    "https://youtube.com/live/dQw4w9WgXcQ?feature=share",
  ]) {
    assert.deepEqual(parseVideo(text, page), { video_id: "dQw4w9WgXcQ", youtube: true }, text);
  }
});

test("a YouTube link with a malformed id is refused, not passed on as a file", () => {
  assert.equal(parseVideo("https://youtu.be/short", page), null);
  assert.equal(parseVideo("https://www.youtube.com/watch?v=dQw4w9WgXcQ<script>", page), null);
});

test("media links keep their URL and take their file name as title", () => {
  assert.deepEqual(parseVideo("https://cdn.example/films/My%20Film.mp4", page), {
    video_id: "https://cdn.example/films/My%20Film.mp4",
    title: "My Film.mp4",
  });
  assert.deepEqual(parseVideo("/media/clip.webm", page), { video_id: "/media/clip.webm", title: "clip.webm" });
  assert.equal(parseVideo("https://cdn.example/100%.mp4", page).title, "100%.mp4");
  // a service's link has no file name to show: the room shows the link until it has a title
  assert.deepEqual(parseVideo("https://vimeo.com/76979871", page), { video_id: "https://vimeo.com/76979871" });
  assert.deepEqual(parseVideo("https://www.twitch.tv/esl_csgo", page), { video_id: "https://www.twitch.tv/esl_csgo" });
});

test("anything that is not http(s) is refused", () => {
  for (const text of ["javascript:alert(1)", "data:video/mp4;base64,AAAA", "ftp://x/y.mp4", "http://["]) {
    assert.equal(parseVideo(text, page), null, text);
  }
});

test("times read as m:ss, and h:mm:ss from an hour", () => {
  assert.equal(formatTime(0), "0:00");
  assert.equal(formatTime(61.9), "1:01");
  assert.equal(formatTime(3600 + 5 * 60 + 7), "1:05:07");
  assert.equal(formatTime(-3), "0:00");
  assert.equal(formatTime(null), "0:00");
});
