/* Ombud's public pages, where JavaScript runs; every page works without it.
   - Quick exit: "Leave this page", or Esc twice, replaces this page in the
     history, so Back does not come back to it.
   - Copy the receipt: a button the page keeps hidden until it can work. */
(function () {
  "use strict";
  var exit = document.getElementById("quick-exit");
  if (exit) {
    var leave = function () { window.location.replace(exit.href); };
    var last = 0;
    exit.addEventListener("click", function (event) {
      event.preventDefault();
      leave();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || event.isComposing) { return; }
      var now = Date.now();
      if (now - last < 2000) { leave(); }
      last = now;
    });
    var hint = document.querySelector(".quick-exit-hint");
    if (hint) { hint.hidden = false; }
  }
  var copy = document.getElementById("copy-receipt");
  var receipt = document.getElementById("receipt");
  if (copy && receipt && navigator.clipboard && window.isSecureContext) {
    var said = document.getElementById("copy-receipt-status");
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(receipt.textContent.trim()).then(
        function () { said.textContent = copy.dataset.copied; },
        function () { said.textContent = copy.dataset.failed; }
      );
    });
  }
}());
