// What the stand-in SDKs share: a frame on the stand-in's origin, commands to it and its
// events back, by postMessage (the services' SDKs talk to their frames the same way).
(function () {
  const script = document.currentScript;
  const origin = new URL(script.src).origin;
  window.__fakeEmbed = function (element, live) {
    const iframe = document.createElement("iframe");
    iframe.src = `${origin}/frame.html?live=${live ? 1 : 0}`;
    iframe.allow = "autoplay";
    iframe.style.cssText = "width:100%;height:100%;border:0";
    element.replaceChildren(iframe);
    const listeners = [];
    const frame = {
      iframe,
      state: { time: 0, duration: 0, paused: true, buffering: false, ended: false },
      send(name, args) { iframe.contentWindow.postMessage({ fake: "cmd", name, args }, origin); },
      on(fn) { listeners.push(fn); },
      destroy() { window.removeEventListener("message", receive); iframe.remove(); },
    };
    function receive(event) {
      if (event.source !== iframe.contentWindow || !event.data || event.data.fake !== "event") return;
      frame.state = event.data.state;
      for (const fn of listeners) fn(event.data.name, event.data.state);
    }
    window.addEventListener("message", receive);
    return frame;
  };
})();
