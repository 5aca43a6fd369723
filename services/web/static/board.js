// Live board: listen to the server's events and swap the table in when the board changed.
// No library: EventSource and fetch are in every current browser.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.EventSource) { return; }
  var stamp = document.getElementById("last-updated");
  var state = document.getElementById("live-state");
  var source = new EventSource(board.dataset.events);
  function refresh() {
    fetch(board.dataset.rows, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) { board.innerHTML = html; })
      .catch(function () { state.textContent = state.dataset.offline; });
  }
  function seen(event) {
    stamp.textContent = event.data;
    state.textContent = state.dataset.checking;
  }
  source.addEventListener("checked", seen);
  source.addEventListener("changed", function (event) { seen(event); refresh(); });
  source.onerror = function () { state.textContent = state.dataset.offline; };
}());
