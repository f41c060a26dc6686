// The mini app talks to the API through the same origin (nginx routes /api/ to it).
(function () {
  "use strict";
  var api = "/api";
  var statusEl = document.getElementById("status");
  var list = document.getElementById("notes");

  function show(ok, text) {
    statusEl.textContent = text;
    statusEl.className = ok ? "ok" : "bad";
  }

  function load() {
    fetch(api + "/notes").then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    }).then(function (notes) {
      list.textContent = "";
      notes.forEach(function (n) {
        var li = document.createElement("li");
        li.textContent = n.body;
        list.appendChild(li);
      });
      show(true, "API reachable: " + notes.length + " note(s)");
    }).catch(function (e) { show(false, "API not reachable (" + e.message + ")"); });
  }

  document.getElementById("note-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.getElementById("note-body");
    fetch(api + "/notes", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ body: input.value })
    }).then(function () { input.value = ""; load(); });
  });

  load();
}());
