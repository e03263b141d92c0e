// Stand-in of Dailymotion's Player Library Script: dailymotion.createPlayer(containerId,
// {video}) resolving to a player whose events (dailymotion.events.X) carry its whole state.
(function () {
  const events = {
    PLAYER_START: "player_start", VIDEO_PLAY: "video_play", VIDEO_PLAYING: "video_playing",
    VIDEO_PAUSE: "video_pause", VIDEO_END: "video_end", VIDEO_TIMECHANGE: "video_timechange",
    VIDEO_DURATIONCHANGE: "video_durationchange", VIDEO_BUFFERING: "video_buffering",
    VIDEO_SEEKSTART: "video_seekstart", VIDEO_SEEKEND: "video_seekend",
  };
  const mapped = {
    play: events.VIDEO_PLAY, playing: events.VIDEO_PLAYING, pause: events.VIDEO_PAUSE,
    ended: events.VIDEO_END, timeupdate: events.VIDEO_TIMECHANGE, durationchange: events.VIDEO_DURATIONCHANGE,
    waiting: events.VIDEO_BUFFERING, seeking: events.VIDEO_SEEKSTART, seeked: events.VIDEO_SEEKEND,
  };
  function asState(state, video) {
    return {
      videoId: video, videoTime: state.time, videoDuration: state.duration,
      playerIsPlaying: !state.paused, playerIsBuffering: state.buffering, videoIsPlaying: !state.paused,
    };
  }
  function createPlayer(id, options) {
    const element = document.getElementById(id);
    if (!element || !options || !/^x[0-9a-z]+$/.test(options.video || "")) {
      return Promise.reject(new Error("createPlayer: a container id and a video xid are needed"));
    }
    const frame = window.__fakeEmbed(element, false);
    const listeners = {};
    const fire = (name, data) => { for (const fn of listeners[name] || []) fn(data); };
    const player = {
      play() { frame.send("play"); },
      pause() { frame.send("pause"); },
      seek(seconds) { frame.send("seek", seconds); },
      getState: () => Promise.resolve(asState(frame.state, options.video)),
      on(name, fn) { (listeners[name] = listeners[name] || []).push(fn); },
      off(name, fn) { listeners[name] = (listeners[name] || []).filter((f) => f !== fn); },
      destroy() { frame.destroy(); },
    };
    return new Promise((resolve) => {
      frame.on((name, state) => {
        if (name === "ready") { resolve(player); fire(events.PLAYER_START, asState(state, options.video)); }
        if (mapped[name]) fire(mapped[name], asState(state, options.video));
      });
    });
  }
  window.dailymotion = Object.assign(window.dailymotion || {}, { events, createPlayer });
  if (typeof window.dailymotion.onScriptLoaded === "function") window.dailymotion.onScriptLoaded();
})();
