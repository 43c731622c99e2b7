// Queue page: "n" opens the next document, "/" the search of every document.
document.addEventListener("keydown", (e) => {
  if (e.target.matches("input, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "n") { document.getElementById("next").click(); }
  if (e.key === "/") { e.preventDefault(); document.getElementById("search-link").click(); }
});

// The queue refreshes itself every 20 s while nobody is using the page: not while a
// filter field has the focus or holds typed text, and not in a background tab.
let lastUse = Date.now();
["keydown", "mousedown", "input"].forEach((t) => document.addEventListener(t, () => { lastUse = Date.now(); }));
setInterval(() => {
  const busy = document.activeElement && document.activeElement.matches("input, textarea, select");
  if (!busy && !document.hidden && Date.now() - lastUse >= 20000) location.reload();
}, 20000);
