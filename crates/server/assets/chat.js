// Live chat: the cardholder's widget (/chat) and the agent's chat pane (/console/chat/{id}).
// Messages are shown in sequence order exactly once; after a dropped connection the page joins
// again from the last sequence number it showed and re-sends anything not yet acknowledged
// (same client_key, so the server never stores it twice).
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) return;
  var t = function (k) { return root.dataset["t" + k.charAt(0).toUpperCase() + k.slice(1)] || k; };
  var mode = root.dataset.mode;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var list = document.getElementById("chat-messages");
  var status = document.getElementById("chat-status");
  var typing = document.getElementById("chat-typing");
  var errorBox = document.getElementById("chat-error");
  var startForm = document.getElementById("chat-start");
  var sendForm = document.getElementById("chat-send");
  var input = document.getElementById("chat-input");
  var storeKey = "helpline-chat";
  var saved = {};
  try { saved = JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { saved = {}; }
  var conversation = mode === "agent" ? root.dataset.conversation : saved.conversation;
  var token = mode === "agent" ? null : saved.token;
  var lastSeq = 0;
  var pending = {};
  var ws = null;
  var backoff = 500;
  var typingTimer = null;
  var lastTypingSent = 0;
  var readTimer = null;

  function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }
  function persist() {
    if (mode === "agent") return;
    localStorage.setItem(storeKey, JSON.stringify({ conversation: conversation, token: token }));
  }
  function mine(author) { return (mode === "agent") === (author === "agent"); }
  function render(m) {
    var li = document.createElement("li");
    li.dataset.seq = m.seq;
    li.className = m.author === "system" ? "system" : (mine(m.author) ? "mine" : "theirs");
    var who = m.author === "system" ? t("system") : (mine(m.author) ? t("you") : (m.author === "agent" ? t("agent") : t("customer")));
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = who + " · " + new Date(m.sent_at).toLocaleTimeString();
    li.appendChild(meta);
    var body = document.createElement("span");
    body.className = "body";
    body.textContent = m.body;
    li.appendChild(body);
    (m.attachments || []).forEach(function (a) {
      var f = document.createElement("span");
      f.className = "meta";
      f.textContent = "📎 " + a.file_name;
      li.appendChild(f);
    });
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }
  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }
  function sendRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      send({ type: "receipt", conversation: conversation, delivery: "read", up_to: lastSeq });
    }, 300);
  }
  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/chat/live";
    ws = new WebSocket(url);
    ws.onopen = function () {
      backoff = 500;
      var join = { type: "join", conversation: conversation, after_seq: lastSeq };
      if (token) join.guest_token = token;
      ws.send(JSON.stringify(join));
    };
    ws.onmessage = function (event) {
      var f;
      try { f = JSON.parse(event.data); } catch (e) { return; }
      if (f.type === "message") {
        if (f.seq !== lastSeq + 1) return;
        lastSeq = f.seq;
        render(f);
        if (!mine(f.author)) sendRead();
      } else if (f.type === "resumed") {
        status.textContent = t("connected");
        Object.keys(pending).forEach(function (k) { send(pending[k]); });
      } else if (f.type === "ack") {
        delete pending[f.client_key];
      } else if (f.type === "typing") {
        var theirs = (mode === "agent") ? f.side === "cardholder" : f.side === "issuer";
        if (theirs) {
          typing.hidden = false;
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { typing.hidden = true; }, 4000);
        }
      } else if (f.type === "receipt") {
        var readsMine = (mode === "agent") ? f.reader === "cardholder" : f.reader === "issuer";
        if (readsMine) status.textContent = (f.delivery === "read" ? t("read") : t("delivered")) + " (" + f.up_to + ")";
      } else if (f.type === "error") {
        if (f.client_key) delete pending[f.client_key];
        showError(f.detail);
        if (f.code === "chat.not_found" || f.code === "chat.bad_token") {
          if (mode !== "agent") { localStorage.removeItem(storeKey); }
          ws.onclose = null; ws.close();
        }
      }
    };
    ws.onclose = function () {
      status.textContent = t("reconnecting");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }
  function begin() {
    startForm.hidden = true;
    sendForm.hidden = false;
    connect();
  }
  function headers(extra) {
    var h = extra || {};
    if (token) h["X-Chat-Token"] = token;
    if (csrf) h["X-CSRF-Token"] = csrf;
    return h;
  }
  function key() { return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10); }

  startForm.addEventListener("submit", function (e) {
    e.preventDefault();
    showError("");
    var nameField = document.getElementById("chat-name");
    var body = { message: document.getElementById("chat-first").value };
    if (nameField) body.name = nameField.value;
    var lang = document.documentElement.lang;
    if (lang) body.language = lang;
    fetch("/api/v1/chat/conversations", {
      method: "POST", credentials: "same-origin",
      headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        if (!res[0]) { showError(res[1].detail || "error"); return; }
        conversation = res[1].conversation_id;
        token = res[1].guest_token || null;
        persist();
        status.textContent = res[1].status === "offline" ? t("offline") : t("waiting");
        begin();
      });
  });
  sendForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    var k = key();
    pending[k] = { type: "send", conversation: conversation, client_key: k, body: text };
    send(pending[k]);
    input.value = "";
  });
  input.addEventListener("input", function () {
    if (Date.now() - lastTypingSent > 2000) {
      lastTypingSent = Date.now();
      send({ type: "typing", conversation: conversation });
    }
  });
  document.getElementById("chat-file").addEventListener("change", function (e) {
    var file = e.target.files[0];
    if (!file) return;
    fetch("/api/v1/attachments?file_name=" + encodeURIComponent(file.name), {
      method: "POST", credentials: "same-origin",
      headers: headers({ "Content-Type": "application/octet-stream" }), body: file
    }).then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        if (!res[0]) { showError(res[1].detail || "error"); return; }
        var k = key();
        pending[k] = { type: "send", conversation: conversation, client_key: k, body: "", attachments: [res[1]] };
        send(pending[k]);
        e.target.value = "";
      });
  });
  if (conversation) begin();
})();
