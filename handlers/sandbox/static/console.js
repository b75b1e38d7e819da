// Refresh the parts of the console marked data-live from the server every second, leaving
// alone a part that holds the keyboard focus (a reply or a form being typed in).
(function () {
  "use strict";
  const parser = new DOMParser();
  async function refresh() {
    try {
      const response = await fetch(window.location.href, { cache: "no-store" });
      if (!response.ok) return;
      const fresh = parser.parseFromString(await response.text(), "text/html");
      for (const part of document.querySelectorAll("[data-live]")) {
        const next = fresh.getElementById(part.id);
        if (!next || part.contains(document.activeElement)) continue;
        if (next.innerHTML !== part.innerHTML) part.innerHTML = next.innerHTML;
      }
    } catch (error) {
      // The sandbox stopped or restarts; try again on the next tick.
    }
  }
  window.setInterval(refresh, 1000);
  const chat = document.getElementById("chat");
  if (chat) chat.scrollTop = chat.scrollHeight;
  const input = document.getElementById("say-text");
  if (input && document.referrer) input.focus({ preventScroll: true });
})();
