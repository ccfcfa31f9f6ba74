// Follows a retraining run: polls its JSON status and updates the bars and the log.
// The page is complete without this script; it only saves the reloads.
(function () {
  "use strict";
  var root = document.getElementById("pipeline-run");
  if (!root) { return; }
  var url = root.getAttribute("data-status-url");
  var log = document.getElementById("run-log");

  function setText(parent, field, text) {
    var node = parent.querySelector('[data-field="' + field + '"]');
    if (node && node.textContent !== text) { node.textContent = text; }
  }

  function render(run) {
    var status = document.getElementById("run-status");
    setText(status, "status", run.status_label);
    setText(status, "error", run.error ? " — " + run.error : "");
    run.stages.forEach(function (stage) {
      var item = root.querySelector('[data-stage="' + stage.name + '"]');
      if (!item) { return; }
      var bar = item.querySelector("progress");
      bar.value = stage.percent;
      bar.textContent = stage.percent + "%";
      setText(item, "percent", stage.percent + "%");
      setText(item, "stage-status", stage.status);
      setText(item, "message", stage.message);
    });
    var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    if (log.textContent !== run.log) {
      log.textContent = run.log;
      if (atBottom) { log.scrollTop = log.scrollHeight; }
    }
    return run.open;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (run) { if (render(run)) { window.setTimeout(poll, 1500); } })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  poll();
})();
