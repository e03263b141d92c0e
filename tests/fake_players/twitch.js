// Stand-in of Twitch's embedded player (js/embed/v1.js): Twitch.Player(elementId, {channel |
// video, parent, ...}), getters that answer at once, addEventListener(Twitch.Player.X, fn).
(function () {
  class Player {
    constructor(id, options) {
      const element = document.getElementById(id);
      if (!element) throw new Error(`no element with id ${id}`);
      // Twitch refuses to play in a page whose host is not among the parents given.
      if (!Array.isArray(options.parent) || !options.parent.includes(location.hostname)) {
        element.textContent = "Twitch: this embed is misconfigured (parent)";
        throw new Error("parent");
      }
      this.live = Boolean(options.channel);
      this.listeners = {};
      this.readied = false;
      this.frame = window.__fakeEmbed(element, this.live);
      this.frame.on((name) => {
        if (name === "ready") { this.readied = true; this.fire(Player.READY); }
        else if (name === "play") this.fire(Player.PLAY);
        else if (name === "playing") this.fire(Player.PLAYING);
        else if (name === "pause") this.fire(Player.PAUSE);
        else if (name === "ended") this.fire(Player.ENDED);
        else if (name === "seeked") this.fire(Player.SEEK, { position: this.frame.state.time });
      });
    }
    fire(name, data) { for (const fn of this.listeners[name] || []) fn(data); }
    addEventListener(name, fn) { (this.listeners[name] = this.listeners[name] || []).push(fn); }
    removeEventListener(name, fn) { this.listeners[name] = (this.listeners[name] || []).filter((f) => f !== fn); }
    play() { if (this.readied) { this.asked = true; this.frame.send("play"); } }
    pause() { this.asked = false; if (this.readied) this.frame.send("pause"); }
    seek(seconds) { if (!this.live && this.readied) this.frame.send("seek", seconds); }
    getCurrentTime() { return this.frame.state.time; }
    getDuration() { return this.live ? 0 : this.frame.state.duration; }
    isPaused() { return this.frame.state.paused && !this.asked; }
    getEnded() { return this.frame.state.ended; }
    destroy() { this.frame.destroy(); }
  }
  Object.assign(Player, {
    READY: "ready", PLAY: "play", PLAYING: "playing", PAUSE: "pause", ENDED: "ended",
    SEEK: "seek", ONLINE: "online", OFFLINE: "offline", PLAYBACK_BLOCKED: "playbackBlocked",
  });
  window.Twitch = { Player };
})();
