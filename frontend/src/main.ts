import "./style.css";
import { start } from "./app";
import { homeView } from "./home";
import { lang } from "./i18n";
import { tokenFromPath, trackView } from "./track";

document.documentElement.lang = lang();
const root = document.getElementById("app")!;
const token = tokenFromPath(location.pathname);
start(root, token ? trackView(token) : homeView());

if (import.meta.env.PROD && "serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => undefined);
  });
}
