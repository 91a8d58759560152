/* The email template editor's live preview: the draft is rendered by the server, in Jinja's sandbox
   with example values (POST .../preview, with the page's CSRF token or, inside Shopify, a fresh session
   token), and shown beside the editor without leaving the page. Nothing is saved until "Save".
   A file, not inline: the Content-Security-Policy allows scripts from the app only. */
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  var source = document.getElementById("source");
  if (!form || !source || !window.fetch) { return; }
  var url = form.getAttribute("data-preview-url");
  var subject = document.getElementById("preview-subject");
  var body = document.getElementById("preview-body");
  var empty = document.getElementById("preview-empty");
  var problem = document.getElementById("source-error");
  var timer = null;
  var asked = 0;

  function show(answer) {
    var good = answer && answer.ok === true;
    subject.textContent = good ? answer.subject : "";
    body.textContent = good ? answer.body : "";
    subject.parentNode.hidden = !good;
    body.hidden = !good;
    empty.hidden = good;
    problem.textContent = good ? "" : (answer && answer.error) || "";
    problem.hidden = good;
    if (good) { source.removeAttribute("aria-invalid"); } else { source.setAttribute("aria-invalid", "true"); }
  }

  function send(token) {
    var data = new FormData(form);
    data.set("action", "preview");
    var headers = { "Accept": "application/json" };
    if (token) { data.set("id_token", token); headers.Authorization = "Bearer " + token; }
    var ticket = ++asked;
    fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: headers })
      .then(function (r) { return r.json(); })
      .then(function (answer) { if (ticket === asked) { show(answer); } })
      .catch(function () { /* offline or signed out: the Preview button still works */ });
  }

  function preview() {
    var bridge = window.shopify;
    if (bridge && typeof bridge.idToken === "function") { bridge.idToken().then(send); } else { send(""); }
  }

  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, 300);
  });
})();
