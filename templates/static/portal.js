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
  // The packing slip's print button only makes sense with JS.
  var buttons = document.querySelectorAll(".js-print");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
