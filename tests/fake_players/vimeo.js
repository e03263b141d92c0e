// Stand-in of Vimeo's Player SDK (player.js): Vimeo.Player(element, {id | url, ...}), methods
// that answer by promises, and on(event, data) with {seconds, percent, duration}.
(function () {
  const VIMEO_URL = /^https:\/\/vimeo\.com\/\d+(\/[0-9a-f]+)?$/;
  class Player {
    constructor(element, options) {
      if (!options || !(options.id || VIMEO_URL.test(options.url || ""))) {
        throw new TypeError("An id or url must be passed, either in an options object or as a data-vimeo-id or data-vimeo-url attribute.");
      }
      this.options = options;
      this.listeners = {};
      this.frame = window.__fakeEmbed(element, false);
      this.rate = 1;
      this._ready = new Promise((resolve) => { this._resolve = resolve; });
      const names = { play: "play", playing: "playing", pause: "pause", ended: "ended", timeupdate: "timeupdate", seeking: "seeking", seeked: "seeked" };
      this.frame.on((name, state) => {
        if (name === "ready") { this._resolve(); this.fire("loaded", { id: 76979871 }); }
        if (name === "waiting") this.fire("bufferstart");
        if (name === "playing" && this.buffering) this.fire("bufferend");
        this.buffering = name === "waiting" ? true : name === "playing" ? false : this.buffering;
        if (names[name]) this.fire(names[name], this.data(state));
      });
    }
    data(state) {
      return { seconds: state.time, duration: state.duration, percent: state.duration ? state.time / state.duration : 0 };
    }
    fire(name, data) { for (const fn of this.listeners[name] || []) fn(data); }
    on(name, fn) { (this.listeners[name] = this.listeners[name] || []).push(fn); }
    off(name, fn) { this.listeners[name] = (this.listeners[name] || []).filter((f) => f !== fn); }
    ready() { return this._ready; }
    async play() { await this._ready; this.frame.send("play"); }
    async pause() { await this._ready; this.frame.send("pause"); }
    async setCurrentTime(seconds) {
      await this._ready;
      if (seconds < 0 || seconds > this.frame.state.duration) throw new RangeError("Seconds must be between 0 and the video's duration");
      this.frame.send("seek", seconds);
      return seconds;
    }
    async getCurrentTime() { return this.frame.state.time; }
    async getDuration() { await this._ready; return this.frame.state.duration; }
    async getPaused() { return this.frame.state.paused; }
    async getPlaybackRate() { return this.rate; }
    async setPlaybackRate() { throw new Error("The playback rate can only be changed on videos of PRO and Business accounts"); }
    async destroy() { this.frame.destroy(); }
  }
  window.Vimeo = { Player };
})();
