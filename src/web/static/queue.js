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

// Upload: the file field, a drop anywhere on the zone, or "u". Each file goes to the
// inbox's intake; the list says what became of it and follows it until it is read.
(() => {
  const box = document.getElementById("upload");
  if (!box) return;
  const input = document.getElementById("upload-file");
  const zone = document.getElementById("dropzone");
  const list = document.getElementById("uploads");
  const csrf = box.dataset.csrf;
  const maxBytes = Number(box.dataset.maxBytes);
  const KEY = "mailroom-uploads";
  const kept = () => JSON.parse(sessionStorage.getItem(KEY) || "[]");
  const keep = (items) => sessionStorage.setItem(KEY, JSON.stringify(items.slice(0, 20)));
  const WAITING = ["received", "processing"];
  const SAID = {
    received: "received, waiting to be read", processing: "being read",
    in_review: "read: waits for review", auto_posted: "read and posted automatically",
    posted: "posted", rejected: "rejected", quarantined: "quarantined",
    unpacked: "an email: its attachments became documents of their own",
  };

  function show(u) {
    let li = list.querySelector(`li[data-key="${u.key}"]`);
    if (!li) {
      li = document.createElement("li");
      li.dataset.key = u.key;
      list.prepend(li);
    }
    li.className = u.error ? "error" : "";
    li.textContent = `${u.name}: `;
    if (u.error) {
      li.append(`not taken: ${u.error}`);
    } else if (!u.id) {
      li.append("sending…");
    } else if (u.state === "duplicate") {
      li.append("the same file as ");
      const a = document.createElement("a");
      a.href = `/documents/${u.duplicate_of}`;
      a.className = "earlier";
      a.textContent = "a document received before";
      li.append(a, " (not read again)");
    } else {
      li.append(SAID[u.state] || u.state);
      if (u.state === "quarantined" && u.reason) li.append(` (${u.reason})`);
      if (u.doc_type) li.append(` · ${u.doc_type}`);
      li.append(" · ");
      const a = document.createElement("a");
      a.href = `/documents/${u.id}`;
      a.className = "open";
      a.textContent = "open";
      li.append(a);
    }
    li.dataset.state = u.error ? "error" : (u.state || "sending");
  }

  function update(u) {
    const items = kept().filter((x) => x.key !== u.key);
    items.unshift(u);
    keep(items);
    show(u);
  }

  async function follow(u) {
    for (let i = 0; i < 600 && WAITING.includes(u.state); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const r = await fetch(`/documents/${u.id}/status`).catch(() => null);
      if (!r || !r.ok) continue;
      const s = await r.json();
      Object.assign(u, {state: s.state, reason: s.reason, doc_type: s.doc_type});
      update(u);
    }
  }

  async function send(file) {
    const u = {key: `${Date.now()}-${Math.random()}`, name: file.name};
    if (file.size > maxBytes) {
      u.error = `larger than the limit of ${box.dataset.maxMb} MB`;
      return update(u);
    }
    if (file.size === 0) {
      u.error = "the file is empty";
      return update(u);
    }
    show(u);
    let r;
    try {
      r = await fetch(`/upload?name=${encodeURIComponent(file.name)}`, {
        method: "POST", body: file,
        headers: {"X-CSRF-Token": csrf, "Content-Type": "application/octet-stream"},
      });
    } catch (e) {
      u.error = `the upload broke off (${e.message})`;
      return update(u);
    }
    const j = await r.json().catch(() => ({}));
    if (!r.ok) {
      u.error = (j.error && j.error.message) || `HTTP ${r.status}`;
      return update(u);
    }
    Object.assign(u, j);
    update(u);
    follow(u);
  }

  input.addEventListener("change", () => { [...input.files].forEach(send); input.value = ""; });
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    [...e.dataTransfer.files].forEach(send);
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "u") { e.preventDefault(); input.click(); }
  });
  // After the queue refreshes itself: the uploads of this tab, still followed.
  kept().reverse().forEach((u) => { show(u); if (u.id && WAITING.includes(u.state)) follow(u); });
})();
