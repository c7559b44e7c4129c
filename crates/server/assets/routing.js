// Routing pages. The console keeps a WebSocket open: each message says the agent's console
// changed, and the page fetches its server-rendered state again (polling every few seconds only
// when the socket cannot be used). Offers count down locally. The dashboard refetches its
// figures every few seconds.
(function () {
  "use strict";

  function refresh(container, url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(response.statusText);
      return response.text();
    }).then(function (html) { container.innerHTML = html; });
  }

  var dashboard = document.getElementById("routing-dashboard");
  if (dashboard) {
    var every = Number(dashboard.getAttribute("data-every") || "10") * 1000;
    window.setInterval(function () {
      refresh(dashboard, dashboard.getAttribute("data-fragment")).catch(function () {});
    }, every);
  }

  var console_ = document.getElementById("routing-console");
  if (!console_) return;
  var state = document.getElementById("console-state");
  var link = document.getElementById("routing-link");
  var errorBox = document.getElementById("routing-error");
  var fragment = console_.getAttribute("data-fragment");
  var polling = null;

  function reload() {
    return refresh(state, fragment).catch(function () {});
  }

  function showError(error) {
    errorBox.textContent = error ? error.message : "";
    errorBox.hidden = !error;
  }

  function startPolling() {
    link.textContent = link.getAttribute("data-polling-text");
    if (!polling) polling = window.setInterval(reload, 3000);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + window.location.host + console_.getAttribute("data-live"));
    } catch (e) {
      startPolling();
      return;
    }
    socket.onopen = function () {
      if (polling) { window.clearInterval(polling); polling = null; }
      link.textContent = link.getAttribute("data-live-text");
    };
    socket.onmessage = reload;
    socket.onclose = function () {
      startPolling();
      window.setTimeout(connect, 5000);
    };
  }

  // Presence buttons and the accept / decline / complete / wrap-up buttons.
  console_.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    var availability = button.getAttribute("data-availability");
    var step = button.getAttribute("data-step");
    var call;
    if (availability) {
      call = window.helpline.api("PUT", "/api/v1/routing/console/presence", { availability: availability });
    } else if (step === "wrap-up-done") {
      call = window.helpline.api("POST", "/api/v1/routing/console/wrap-up-done");
    } else if (step) {
      call = window.helpline.api("POST", "/api/v1/routing/contacts/" + button.getAttribute("data-contact") + "/" + step);
    } else {
      return;
    }
    button.disabled = true;
    call.then(function () { showError(null); }, showError).then(reload);
  });

  // Offers count down between updates; the server takes them back when they expire.
  window.setInterval(function () {
    var counters = state.querySelectorAll("[data-seconds-left]");
    for (var i = 0; i < counters.length; i++) {
      var left = Math.max(0, Number(counters[i].getAttribute("data-seconds-left")) - 1);
      counters[i].setAttribute("data-seconds-left", String(left));
      counters[i].textContent = left + " s";
      counters[i].classList.toggle("late", left <= 5);
    }
  }, 1000);

  connect();
})();
