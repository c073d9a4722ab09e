// Entry of the recruiter dashboard (review.html): loads the server's constants (/v1/meta), fills the
// filter choices, wires the controls, then signs in with the key kept in this tab or shows the
// sign-in form. The state lives in review-app.js.

import { byId } from "./dom.js";
import { loadMeta } from "./meta.js";
import { applyFilters, begin, loadList, resetFilters, review, route, show, signIn, signOut } from "./review-app.js";
import { loadKey } from "./review-api.js";
import { setupFilterOptions } from "./review-list.js";

function wireControls() {
  byId("signin-form").addEventListener("submit", signIn);
  byId("sign-out").addEventListener("click", signOut);
  byId("filters").addEventListener("submit", applyFilters);
  byId("filters").addEventListener("reset", resetFilters);
  byId("more").addEventListener("click", () => loadList(false));
  window.addEventListener("hashchange", route);
}

async function main() {
  await loadMeta();
  setupFilterOptions();
  wireControls();
  window.__review = { get current() { return review.current; } }; // for tests and debugging
  const key = loadKey();
  if (key !== null) {
    begin(key);
  } else {
    show("signin");
    byId("api-key").focus();
  }
}

main();
