// The Mini App's only script: inside Telegram, load Telegram's script (theme colours,
// ready/expand) and, on the sign-in page, send the signed init data to /app/session.
// Pages work without it: forms are plain HTML forms.
(function () {
  "use strict";
  var hash = new URLSearchParams(window.location.hash.slice(1));
  var insideTelegram = hash.has("tgWebAppData") || hash.has("tgWebAppVersion");

  function signIn(initData) {
    var body = new URLSearchParams({ initData: initData });
    fetch("/app/session", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (answer) {
        if (answer.ok) { window.location.replace("/app/home"); }
        // Refused: the server's page says why (reopen the app from the chat).
        else { window.location.replace("/app?tgWebAppData=" + encodeURIComponent(initData)); }
      });
  }

  function ready() {
    var webApp = window.Telegram && window.Telegram.WebApp;
    if (webApp) { webApp.ready(); webApp.expand(); }
    if (document.getElementById("signin")) {
      var initData = (webApp && webApp.initData) || hash.get("tgWebAppData");
      if (initData) { signIn(initData); }
    }
  }

  if (insideTelegram) {
    var script = document.createElement("script");
    script.src = "https://telegram.org/js/telegram-web-app.js";
    script.onload = ready;
    script.onerror = ready;
    document.head.appendChild(script);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
