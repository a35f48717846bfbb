// Countdown to each offer's deadline; the server refuses a late answer whatever this shows.
// A static file, not an inline script, so the Content-Security-Policy needs no unsafe-inline.
(function () {
  function tick() {
    document.querySelectorAll(".countdown").forEach(function (el) {
      var left = Math.max(0, Math.floor((new Date(el.dataset.deadline) - new Date()) / 1000));
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
      var m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = left === 0 ? "deadline passed" : (d ? d + "d " : "") + h + "h " +
        String(m).padStart(2, "0") + "m " + String(s).padStart(2, "0") + "s left";
    });
  }
  tick();
  setInterval(tick, 1000);
})();
