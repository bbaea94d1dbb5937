/* Signature pad for "give samples": draw with a finger, a pen or a mouse (pointer events).
 * The strokes go to the hidden field signature_svg as an SVG path ("M x y L x y …", in the
 * canvas's 600 × 200 box) and the drawing to signature_png as a PNG data URL, on submit. */
(function () {
  "use strict";

  function init(canvas) {
    var form = canvas.closest("form");
    var svgInput = form.querySelector("[name=signature_svg]");
    var pngInput = form.querySelector("[name=signature_png]");
    var state = form.querySelector("[data-signature-state]");
    var ctx = canvas.getContext("2d");
    var path = [];
    var drawing = false;
    var last = null;

    ctx.lineWidth = 2.5;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";

    function point(event) {
      var box = canvas.getBoundingClientRect();
      var x = (event.clientX - box.left) * (canvas.width / box.width);
      var y = (event.clientY - box.top) * (canvas.height / box.height);
      return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
    }

    function show() {
      if (state) {
        state.textContent = path.length ? (canvas.dataset.signedText || "✓") : "";
      }
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      path.push("M" + last[0] + " " + last[1]);
      ctx.beginPath();
      ctx.arc(last[0], last[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      event.preventDefault();
      var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      if (!events.length) { events = [event]; }
      events.forEach(function (e) {
        var p = point(e);
        ctx.beginPath();
        ctx.moveTo(last[0], last[1]);
        ctx.lineTo(p[0], p[1]);
        ctx.stroke();
        path.push("L" + p[0] + " " + p[1]);
        last = p;
      });
    });
    function end() {
      if (drawing) { drawing = false; show(); }
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);

    var clear = form.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        path = [];
        show();
      });
    }
    form.addEventListener("submit", function () {
      if (path.length) {
        svgInput.value = path.join(" ");
        pngInput.value = canvas.toDataURL("image/png");
      } else {
        svgInput.value = "";
        pngInput.value = "";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-signature-pad]").forEach(init);
  });
})();
