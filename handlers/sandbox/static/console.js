// Refresh the parts of the console marked data-live from the server every second, leaving
// alone a part where something is being typed (a reply, a form).
(function () {
  "use strict";
  const parser = new DOMParser();
  function typing(part) {
    const active = document.activeElement;
    return part.contains(active) && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName);
  }
  async function refresh() {
    try {
      const response = await fetch(window.location.href, { cache: "no-store" });
      if (!response.ok) return;
      const fresh = parser.parseFromString(await response.text(), "text/html");
      for (const part of document.querySelectorAll("[data-live]")) {
        const next = fresh.getElementById(part.id);
        if (!next || typing(part)) continue;
        if (next.innerHTML === part.innerHTML) continue;
        part.innerHTML = next.innerHTML;
        if (part.id === "chat") part.scrollTop = part.scrollHeight;
      }
    } catch (error) {
      // The sandbox stopped or restarts; try again on the next tick.
    }
  }
  window.setInterval(refresh, 1000);
  // Browsers slow the timers of a hidden tab: catch up as soon as the console shows again.
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refresh();
  });
  window.addEventListener("focus", refresh);
  const chat = document.getElementById("chat");
  if (chat) chat.scrollTop = chat.scrollHeight;
  // After an action the server names, in the address's fragment, where the keyboard goes.
  const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target) target.focus({ preventScroll: true });
})();
