// Portal enhancements; every page works without them. No framework, no network call.
(function () {
  "use strict";
  // In an iframe (WooCommerce snippet), tell the parent page our height so it can resize us.
  if (window.parent !== window) {
    var last = 0;
    var post = function () {
      var height = document.documentElement.scrollHeight;
      if (height !== last) {
        last = height;
        window.parent.postMessage({ type: "returns-connector:height", height: height }, "*");
      }
    };
    document.body.classList.add("embedded");
    window.addEventListener("load", post);
    window.addEventListener("resize", post);
    if (window.ResizeObserver) { new ResizeObserver(post).observe(document.body); }
    post();
  }
  // Choosing a reason for an item means returning it: show one unit chosen (the server reads it so too).
  var reasons = document.querySelectorAll('select[id^="reason-"]');
  for (var r = 0; r < reasons.length; r++) {
    reasons[r].addEventListener("change", function (event) {
      var qty = document.getElementById(event.target.id.replace("reason-", "qty-"));
      if (qty && event.target.value && qty.value === "0") { qty.value = "1"; }
    });
  }
  // The packing slip's print button only makes sense with JS.
  var buttons = document.querySelectorAll(".js-print");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
