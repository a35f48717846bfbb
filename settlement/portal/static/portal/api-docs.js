"use strict";
// Swagger UI draws the authorization dialog's close button with an icon and no name;
// name it for screen readers whenever Swagger draws it (axe-core's button-name).
new MutationObserver(() => {
  for (const button of document.querySelectorAll(".swagger-ui .close-modal:not([aria-label])")) {
    button.setAttribute("aria-label", "Close");
  }
}).observe(document.documentElement, { childList: true, subtree: true });
