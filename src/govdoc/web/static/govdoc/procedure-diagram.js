/* A procedure's diagram on its page: the BPMN file, fetched from GovDoc (same permission checks
   as the page), drawn by the bpmn-js viewer, with the current tasks and the completed ones
   marked by CSS classes. Without JavaScript the page lists the current tasks and the history. */
(function () {
  "use strict";
  var box = document.getElementById("procedure-diagram");
  if (!box || typeof window.BpmnJS !== "function") { return; }

  function ids(name) {
    return (box.getAttribute(name) || "").split(" ").filter(function (id) { return id; });
  }

  function failed() {
    var note = document.createElement("p");
    note.className = "help diagram-failed";
    note.textContent = box.getAttribute("data-failed");
    box.replaceChildren(note);
    box.classList.add("is-empty");
  }

  var viewer = new window.BpmnJS({ container: box });
  fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/xml" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      function mark(id, marker) {
        if (registry.get(id)) { canvas.addMarker(id, marker); }
      }
      ids("data-done").forEach(function (id) { mark(id, "govdoc-done"); });
      ids("data-current").forEach(function (id) { mark(id, "govdoc-current"); });
      canvas.zoom("fit-viewport");
      box.setAttribute("data-rendered", "true");
    })
    .catch(failed);
})();
