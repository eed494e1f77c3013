// facecast overlay: long-poll the newest frame of one session (?session=ID, default: the newest
// session) and draw it on a transparent canvas. Frames the browser is too slow for are skipped.
"use strict";
(function () {
  const params = new URLSearchParams(window.location.search);
  const session = params.get("session") || "";
  const canvas = document.getElementById("face");
  const ctx = canvas.getContext("2d");
  let seq = -1;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function poll() {
    for (;;) {
      try {
        const url = `frame.png?session=${encodeURIComponent(session)}&after=${seq}`;
        const reply = await fetch(url, { cache: "no-store" });
        if (reply.status === 200) {
          seq = parseInt(reply.headers.get("X-Seq"), 10);
          const bitmap = await createImageBitmap(await reply.blob(), { premultiplyAlpha: "default" });
          if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
            canvas.width = bitmap.width;
            canvas.height = bitmap.height;
          }
          ctx.clearRect(0, 0, canvas.width, canvas.height);
          ctx.drawImage(bitmap, 0, 0);
          bitmap.close();
          document.body.dataset.seq = String(seq);
        } else if (reply.status !== 204) {
          await sleep(500);
        }
      } catch (err) {
        await sleep(500); // the runtime restarted or is gone: keep trying
      }
    }
  }
  poll();
})();
