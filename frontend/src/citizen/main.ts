import "../shared/style.css";
import { followBrowserLang } from "../shared/i18n";
import { start, type View } from "./app";
import { confirmView } from "./confirm";
import { homeView } from "./home";
import { reportView } from "./report";
import { routeFromPath } from "./routes";
import { trackView } from "./track";

function firstView(): View {
  const route = routeFromPath(location.pathname);
  switch (route.kind) {
    case "track":
      return trackView(route.token);
    case "report":
      return reportView(route.publicId);
    case "confirm":
      return confirmView(route.token);
    default:
      return homeView();
  }
}

// A first visit starts in the browser's language; a choice made since is kept.
followBrowserLang();
const root = document.getElementById("app")!;
start(root, firstView());

if (import.meta.env.PROD && "serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => undefined);
  });
}
