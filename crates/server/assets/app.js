// Small progressive enhancements shared by every page. Pages work without it.
(function () {
  "use strict";
  // Ask before destructive form submissions marked with data-confirm.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // fetch() for the JSON API with the session's CSRF token attached.
  window.helpline = {
    csrf: function () {
      var meta = document.querySelector('meta[name="csrf-token"]');
      return meta ? meta.content : "";
    },
    api: function (method, path, body) {
      var options = { method: method, headers: { "X-CSRF-Token": window.helpline.csrf() }, credentials: "same-origin" };
      if (body !== undefined) {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
      return fetch(path, options).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        var parsed = type.indexOf("json") >= 0 ? response.json() : response.text();
        return parsed.then(function (data) {
          if (!response.ok) throw (data && data.detail) ? new Error(data.detail) : new Error(response.statusText);
          return data;
        });
      });
    }
  };
})();
