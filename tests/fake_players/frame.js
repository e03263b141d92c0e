// The frame's side: plays /media/clip.webm; a "live" frame starts where the stream is and
// cannot seek. Every change of the <video> is told to the SDK in the page.
(function () {
  const query = new URLSearchParams(location.search);
  const live = query.get("live") === "1";
  const video = document.getElementById("v");
  video.src = "/media/clip.webm";
  let buffering = false;
  function state() {
    return {
      time: video.currentTime,
      duration: live ? Infinity : (Number.isFinite(video.duration) ? video.duration : 0),
      paused: video.paused,
      buffering,
      ended: video.ended,
    };
  }
  function tell(name) { parent.postMessage({ fake: "event", name, state: state() }, "*"); }
  for (const name of ["play", "playing", "pause", "seeking", "seeked", "timeupdate", "ended", "durationchange"]) {
    video.addEventListener(name, () => {
      if (name === "playing") buffering = false;
      tell(name);
    });
  }
  video.addEventListener("waiting", () => { buffering = true; tell("waiting"); });
  video.addEventListener("loadedmetadata", () => {
    if (live) video.currentTime = 5;  // the stream is already under way
    tell("ready");
  }, { once: true });
  window.addEventListener("message", (event) => {
    const data = event.data || {};
    if (data.fake !== "cmd") return;
    if (data.name === "play") video.play().then(() => tell("play-ok"), () => tell("play-refused"));
    else if (data.name === "pause") video.pause();
    else if (data.name === "seek" && !live) video.currentTime = data.args;
    else if (data.name === "state") tell("state");
  });
})();
