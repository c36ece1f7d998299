// The verification page a QR code opens: /V/<code>#GD1:...
// The signed payload is in the URL's fragment, which the browser never sends to the server on
// its own. This script posts it to the public API, which checks the agency's signature, and
// shows what the agency signed, beside the registered record above. Text only (textContent).
// The words come from the page (data-text-* on the section), in the page's language.
(function () {
  "use strict";
  var section = document.getElementById("signed-payload");
  if (!section || !window.fetch) { return; }
  var raw = window.location.hash.slice(1);
  var payload;
  // A damaged code can hold a broken escape (%A5 is no UTF-8): decode escape by escape then, so
  // the API still answers, and says the signature is not valid, instead of the page saying nothing.
  try { payload = decodeURIComponent(raw); } catch (e) {
    payload = raw.replace(/%([0-9A-Fa-f]{2})/g, function (whole, hex) { return String.fromCharCode(parseInt(hex, 16)); });
  }
  if (payload.indexOf("GD1:") !== 0) { return; }

  function say(name) { return section.getAttribute("data-text-" + name) || ""; }
  function put(id, text) { document.getElementById(id).textContent = text || "—"; }
  function day(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    return d.toLocaleDateString(document.documentElement.lang || "sr-Latn", { timeZone: "Europe/Belgrade" });
  }
  var verdict = document.getElementById("signed-verdict");

  fetch(section.getAttribute("data-api"), {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept": "application/json" },
    body: JSON.stringify({ payload: payload })
  }).then(function (response) {
    return response.json().then(function (body) { return { ok: response.ok, body: body }; });
  }).then(function (answer) {
    section.hidden = false;
    var body = answer.body;
    if (!answer.ok) {
      verdict.className = "status status-revoked";
      verdict.textContent = say("invalid") + ": " + (body.title || "");
      section.querySelector("table").hidden = true;
      return;
    }
    var s = body.signed;
    put("signed-agency", s.agency);
    put("signed-holder", s.holder_name);
    put("signed-number", s.document_number);
    put("signed-subject", s.subject);
    put("signed-issued", day(s.issued_at));
    put("signed-valid-until", day(s.valid_until));
    put("signed-code", s.verification_code);
    var text = say("valid") + " (" + body.signer_agency + ", kid " + body.kid + ")";
    var good = true;
    if (body.differences.length) {
      good = false;
      text += ". " + say("differs") + ": " + body.differences.join(", ");
    }
    if (body.expired) { good = false; text += ". " + say("expired"); }
    if (body.signer_certificate_status === "revoked") { good = false; text += ". " + say("revoked"); }
    verdict.className = "status " + (good ? "status-valid" : "status-revoked");
    verdict.textContent = text + ".";
  }).catch(function () {
    section.hidden = false;
    verdict.textContent = say("failed");
  });
}());
