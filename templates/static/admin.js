/* Admin helpers. Inside the Shopify admin, App Bridge (loaded from Shopify's CDN) gives
   short-lived session tokens: put a fresh one in each form and link before it leaves,
   because the one rendered in the page expires after a minute. Standalone, only the
   "select all" box is enhanced. No framework, no other script. */
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('#bulk input[name="reference"]').forEach(function (box) { box.checked = all.checked; });
    });
  }
  // Inspection: a damaged or missing unit is not put back in stock; the box follows the condition.
  document.querySelectorAll("input[data-restock-for]").forEach(function (box) {
    var condition = document.getElementById(box.getAttribute("data-restock-for"));
    if (!condition) { return; }
    var follow = function () { box.checked = condition.value === "as_new" || condition.value === "opened"; };
    condition.addEventListener("change", follow);
    follow();
  });
  var bridge = window.shopify;
  if (!bridge || typeof bridge.idToken !== "function") { return; }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var field = form.querySelector('input[name="id_token"]');
    if (!field || form.dataset.fresh === "1") { return; }
    event.preventDefault();
    var submitter = event.submitter;
    bridge.idToken().then(function (token) {
      field.value = token;
      if (submitter && submitter.name) {  // form.submit() drops the clicked button's value
        var copy = document.createElement("input");
        copy.type = "hidden"; copy.name = submitter.name; copy.value = submitter.value;
        form.appendChild(copy);
      }
      form.dataset.fresh = "1";
      form.submit();
    });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.metaKey || event.ctrlKey) { return; }
    var url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin || !url.searchParams.has("id_token")) { return; }
    event.preventDefault();
    bridge.idToken().then(function (token) {
      url.searchParams.set("id_token", token);
      window.location.assign(url.toString());
    });
  });
})();
