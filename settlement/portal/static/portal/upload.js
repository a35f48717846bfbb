"use strict";
// My energy: send the meter file with a progress bar, then show the server's answer (the
// upload's result). Without JavaScript the form posts as usual and the page reloads.
(() => {
  const form = document.querySelector("form[data-upload]");
  const status = document.getElementById("upload-progress");
  if (form && status) {
    const bar = status.querySelector("progress");
    const text = status.querySelector(".progress-text");
    form.addEventListener("submit", (event) => {
      const input = form.querySelector("input[type=file]");
      if (!input || !input.files.length || !window.FormData) {
        return; // The server names what is missing.
      }
      event.preventDefault();
      const name = input.files[0].name;
      status.hidden = false;
      text.textContent = `Sending ${name}…`;
      form.querySelector("button[type=submit]").disabled = true;
      const request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.upload.addEventListener("progress", (progress) => {
        if (progress.lengthComputable) {
          bar.max = progress.total;
          bar.value = progress.loaded;
          text.textContent = `Sending ${name}: ${Math.round((100 * progress.loaded) / progress.total)}%`;
        }
      });
      request.upload.addEventListener("load", () => {
        text.textContent = `Sent ${name}; reading it…`;
      });
      request.addEventListener("load", () => {
        if (request.responseURL.includes("upload=")) {
          window.location.assign(request.responseURL);
        } else {
          form.submit(); // The file was refused: post it plainly to see why.
        }
      });
      request.addEventListener("error", () => form.submit());
      request.send(new FormData(form));
    });
  }
  // An upload still being read: look again every few seconds until it is done.
  if (document.querySelector("#upload-result[data-pending]")) {
    window.setTimeout(() => window.location.reload(), 3000);
  }
})();
