// Search page: "/" to the text box, ↓/↑ (or j/k) through the results, Enter opens one.
(() => {
  const rows = () => [...document.querySelectorAll("#results tbody tr[data-href]")];
  const q = document.getElementById("q");
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const list = rows();
    const i = list.indexOf(document.activeElement);
    const inField = e.target.matches("input, select, textarea");
    if (e.key === "/" && !inField) {
      e.preventDefault();
      q.focus();
      q.select();
    } else if ((e.key === "ArrowDown" && e.target.tagName !== "SELECT") || (e.key === "j" && !inField)) {
      const to = i < 0 ? list[0] : list[i + 1];
      if (to) { e.preventDefault(); to.focus(); }
    } else if (e.key === "ArrowUp" || (e.key === "k" && !inField)) {
      if (i > 0) { e.preventDefault(); list[i - 1].focus(); } else if (i === 0) { e.preventDefault(); q.focus(); }
    } else if (e.key === "Enter" && i >= 0) {
      e.preventDefault();
      location.href = list[i].dataset.href;
    }
  });
  document.querySelectorAll("#results tbody tr[data-href]").forEach((tr) =>
    tr.addEventListener("click", (e) => { if (!e.target.closest("a")) location.href = tr.dataset.href; }));
  // Came back to the results (the browser's Back): the cursor where it was left.
  const nav = performance.getEntriesByType("navigation")[0];
  const again = nav && nav.type === "back_forward" && sessionStorage.getItem("search-row");
  const hit = again && rows().find((r) => r.dataset.id === again);
  if (hit) hit.focus();
  document.addEventListener("focusin", (e) => {
    const tr = e.target.closest && e.target.closest("#results tbody tr[data-href]");
    if (tr) sessionStorage.setItem("search-row", tr.dataset.id);
  });
})();
