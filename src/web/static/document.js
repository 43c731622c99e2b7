// Document page: boxes follow the focused field, words fill it, values are checked
// by the server as you type (the pipeline's own parsers and checks), the lease is
// renewed while the page is open, and the keyboard does the rest.
(() => {
  const doc = document.querySelector(".doc");
  if (!doc) return;
  const id = doc.dataset.id, csrf = doc.dataset.csrf;
  const form = document.getElementById("fields");
  const inputs = [...form.querySelectorAll(".field input:not([type=hidden])")];
  // A box or a signature is a toggle; the value it posts ("true"/"false", or "" while
  // nobody set an unread one) is in the hidden input beside it.
  const valueOf = (i) => i.type === "checkbox" ? i.closest(".field").querySelector(".toggle-value").value : i.value;
  inputs.filter((i) => i.type === "checkbox").forEach((i) => i.addEventListener("change", () => {
    i.closest(".field").querySelector(".toggle-value").value = i.checked ? "true" : "false";
    i.closest(".field").querySelector(".toggle-text").textContent = i.checked ? i.dataset.yes : i.dataset.no;
    clearTimeout(timer);
    asked++;
    checking(true);
    timer = setTimeout(validate, 50);
  }));
  let focused = inputs[0] || null;

  // Line items: a grid of cells, keyboard-first. Its rows go to the live check and,
  // when changed, with the approval (the hidden "items", as JSON).
  const grid = document.getElementById("line-items");
  const editable = !!grid && grid.dataset.editable === "yes";
  const CELLS = ["description", "quantity", "unit_price", "amount", "vat_rate"];
  const rowsOf = () => grid ? [...grid.tBodies[0].rows].map((tr) => {
    const row = {};
    tr.querySelectorAll("input.cell").forEach((i) => { row[i.dataset.cell] = i.value; });
    return row;
  }) : [];
  const initialRows = rowsOf();
  const itemsChanged = () => JSON.stringify(rowsOf()) !== JSON.stringify(initialRows);
  const cellsOf = () => grid ? [...grid.querySelectorAll("input.cell")] : [];

  const post = (url, body) => fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  });

  // Focus a field: highlight and scroll to its box.
  const show = (input) => {
    focused = input;
    document.querySelectorAll(".box.active").forEach((b) => b.classList.remove("active"));
    const name = input.closest(".field").dataset.field;
    const box = document.getElementById("box-" + name);
    if (box) { box.classList.add("active"); box.scrollIntoView({ block: "center", behavior: "smooth" }); }
  };
  // Focus shows the field's box and selects its text: typing replaces the value.
  inputs.forEach((i) => i.addEventListener("focus", () => { show(i); i.select(); }));

  // Validation as you type: the server normalises every value and runs the checks.
  // Only the answer to the latest question is shown (an earlier one arriving late
  // would show a state the page has left); until it is shown, the page says it is
  // checking (`data-checking` on the form, which the browser tests wait for).
  let timer = null, asked = 0;
  const checking = (on) => { if (on) form.dataset.checking = "yes"; else delete form.dataset.checking; };
  const validate = () => {
    const fields = {};
    inputs.forEach((i) => { fields[i.closest(".field").dataset.field] = valueOf(i); });
    const body = { fields };
    if (editable && itemsChanged()) body.items = rowsOf();
    const question = ++asked;
    checking(true);
    post(`/documents/${id}/check`, body).then((r) => r.json()).then((res) => {
      if (question !== asked) return;
      if (editable) {
        // Each cell the server refused, and the rows' sum against the totals.
        const problems = document.getElementById("items-problems");
        problems.innerHTML = "";
        [...grid.tBodies[0].rows].forEach((tr, n) => tr.querySelectorAll("input.cell").forEach((i) => {
          const err = (res.errors || {})[`line_items.${n}.${i.dataset.cell}`];
          i.classList.toggle("bad", !!err);
          i.title = err || "";
          if (err) {
            const li = document.createElement("li");
            li.textContent = `row ${n + 1}, ${i.getAttribute("aria-label").split(",")[0]}: ${err}`;
            problems.appendChild(li);
          }
        }));
        const whole = (res.errors || {})["line_items"];
        if (whole) { const li = document.createElement("li"); li.textContent = whole; problems.appendChild(li); }
        const sum = document.getElementById("items-sum");
        if (res.items_sum) {
          sum.className = "items-sum " + (res.items_sum.passed ? "ok" : "failed");
          sum.textContent = (res.items_sum.passed ? "" : "⚠ ") + res.items_sum.message;
        }
      }
      inputs.forEach((i) => {
        const f = i.closest(".field"), name = f.dataset.field;
        const err = (res.errors || {})[name];
        f.querySelector(".problem").textContent = err || "";
        f.classList.toggle("bad", !!err);
        // The value that will be posted, as the server normalised it.
        const shown = (res.posted || {})[name];
        const out = f.querySelector(".posted");
        out.textContent = "";
        // Only when it differs from what is typed: the same text twice is noise.
        if (!err && shown !== undefined && shown !== valueOf(i).trim()) {
          out.append("will post: ");
          const b = document.createElement("b");
          b.textContent = shown === "" ? "(empty)" : shown;
          out.append(b);
        }
      });
      const checks = document.getElementById("checks");
      checks.innerHTML = "";
      (res.checks || []).forEach((c) => {
        const li = document.createElement("li");
        li.className = c.passed ? "ok" : "failed";
        li.textContent = c.message;
        checks.appendChild(li);
      });
    }).catch(() => {}).finally(() => { if (question === asked) checking(false); });
  };
  // A change: the answer to any question already asked is out of date.
  const later = () => { clearTimeout(timer); asked++; checking(true); timer = setTimeout(validate, 250); };
  inputs.forEach((i) => i.addEventListener("input", later));

  if (editable) {
    grid.addEventListener("input", (e) => { if (e.target.matches("input.cell")) later(); });
    // A cell takes words clicked on the scan too; its text is selected on focus.
    grid.addEventListener("focusin", (e) => {
      if (e.target.matches("input.cell")) { focused = e.target; e.target.select(); }
    });
    const newRow = (after) => {
      const tr = document.createElement("tr");
      tr.className = "item ok";
      const n = grid.tBodies[0].rows.length + 1;
      CELLS.forEach((c) => {
        const td = document.createElement("td");
        const i = document.createElement("input");
        i.className = "cell"; i.dataset.cell = c; i.autocomplete = "off";
        i.setAttribute("aria-label", `${c.replace("_", " ")}, row ${n}`);
        td.appendChild(i); tr.appendChild(td);
      });
      const conf = document.createElement("td"); conf.className = "conf"; conf.textContent = "new";
      const del = document.createElement("td");
      del.innerHTML = '<button type="button" class="del-row" tabindex="-1" title="delete this row (Alt+Delete)">×</button>';
      tr.append(conf, del);
      if (after) after.after(tr); else grid.tBodies[0].appendChild(tr);
      tr.querySelector("input.cell").focus();
      later();
    };
    const deleteRow = (tr) => {
      const cells = cellsOf(), at = cells.indexOf(document.activeElement);
      tr.remove();
      const rest = cellsOf();
      if (rest.length) rest[Math.min(Math.max(0, at - (at % CELLS.length)), rest.length - 1)].focus();
      else document.getElementById("add-row").focus();
      later();
    };
    document.getElementById("add-row").addEventListener("click", () => newRow(null));
    grid.addEventListener("click", (e) => { if (e.target.matches(".del-row")) deleteRow(e.target.closest("tr")); });
    grid.addEventListener("keydown", (e) => {
      if (!e.target.matches("input.cell")) return;
      const tr = e.target.closest("tr");
      if (e.altKey && e.key === "Enter") { e.preventDefault(); newRow(tr); return; }
      if (e.altKey && (e.key === "Delete" || e.key === "Backspace")) { e.preventDefault(); deleteRow(tr); return; }
      if (e.key === "Enter" && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
        // Enter: this cell is right; on to the next (after the last, the approval).
        e.preventDefault();
        const cells = cellsOf();
        const next = cells[cells.indexOf(e.target) + 1];
        if (next) next.focus(); else if (approveBtn) approveBtn.focus();
      }
    });
  }

  // Click or drag over words on the scan: their text fills the focused field.
  let picking = null;
  document.querySelectorAll(".page").forEach((page) => {
    page.addEventListener("mousedown", (e) => {
      if (!e.target.classList.contains("word")) return;
      e.preventDefault();
      picking = [e.target];
      e.target.classList.add("picked");
    });
    page.addEventListener("mouseover", (e) => {
      if (picking && e.target.classList.contains("word") && !picking.includes(e.target)) {
        picking.push(e.target); e.target.classList.add("picked");
      }
    });
  });
  document.addEventListener("mouseup", () => {
    if (!picking) return;
    if (focused && focused.type !== "checkbox") {
      focused.value = picking.map((w) => w.dataset.text).join(" ");
      focused.dispatchEvent(new Event("input", { bubbles: true }));
      focused.focus();
    }
    picking.forEach((w) => w.classList.remove("picked"));
    picking = null;
  });

  // Zoom: kept between documents (localStorage), with keys.
  const zoomLabel = document.getElementById("zoom-level");
  const setZoom = (z) => {
    zoom = Math.min(300, Math.max(50, z));
    try { localStorage.setItem("mailroom.zoom", String(zoom)); } catch (_) { /* private mode */ }
    document.querySelectorAll(".page").forEach((p) => p.style.setProperty("--zoom", zoom + "%"));
    if (zoomLabel) zoomLabel.textContent = zoom + " %";
  };
  let zoom = Number(localStorage.getItem("mailroom.zoom")) || 100;
  setZoom(zoom);
  const zoomBy = (step) => setZoom(step === 0 ? 100 : zoom + 25 * step);
  document.querySelectorAll("[data-zoom]").forEach((b) => b.addEventListener("click", () => zoomBy(Number(b.dataset.zoom))));
  document.addEventListener("keydown", (e) => {
    // In a field only with Alt (the field takes "+", "-" and "0" as text).
    const inField = e.target.matches("input, textarea, select");
    if (e.ctrlKey || e.metaKey || (inField && !e.altKey)) return;
    const step = { "+": 1, "=": 1, "-": -1, "−": -1, "0": 0 }[e.key]
      ?? { Equal: 1, NumpadAdd: 1, Minus: -1, NumpadSubtract: -1, Digit0: 0, Numpad0: 0 }[e.altKey ? e.code : ""];
    if (step === undefined) return;
    e.preventDefault();
    zoomBy(step);
  });

  // Beside each input, the snippet of the page its value was read from: the page
  // image (already loaded for the scan) as a background, scaled and shifted so the
  // field's box with a margin around it fills the snippet.
  document.querySelectorAll(".field .snip").forEach((el) => {
    const [x0, y0, x1, y1] = el.dataset.bbox.split(",").map(Number);
    const page = document.querySelector(`.page[data-page="${el.dataset.page}"]`);
    const img = page && page.querySelector("img");
    if (!img) { el.remove(); return; }
    const W = Number(page.dataset.w), H = Number(page.dataset.h);
    const bh = Math.max(1, y1 - y0);
    const my = Math.max(14, bh * 0.5), mx = Math.max(40, bh * 1.5);
    const sx0 = Math.max(0, x0 - mx), sy0 = Math.max(0, y0 - my);
    const sx1 = Math.min(W, x1 + mx), sy1 = Math.min(H, y1 + my);
    // About half the page's pixel size: a 300 dpi line of text is ~20 px high.
    const h = Math.min(160, Math.max(34, (sy1 - sy0) * 0.55));
    const k = h / (sy1 - sy0);
    el.style.height = h + "px";
    el.style.width = Math.round((sx1 - sx0) * k) + "px";
    el.style.backgroundImage = `url("${img.getAttribute("src")}")`;
    el.style.backgroundSize = `${W * k}px ${H * k}px`;
    el.style.backgroundPosition = `${-sx0 * k}px ${-sy0 * k}px`;
  });

  // A refused decision is answered at /documents/ID/approve (or /type, /reject): the
  // address goes back to the document's, so a reload does not post again.
  if (location.pathname !== `/documents/${id}`) history.replaceState(null, "", `/documents/${id}`);

  // Reject: a reason code and a note, in a dialog (no prompt()).
  const rejectDialog = document.getElementById("reject-dialog");
  const rejectForm = document.getElementById("reject-form");
  const reject = () => { rejectDialog.showModal(); document.getElementById("reject-note").focus(); };
  document.getElementById("reject-back").addEventListener("click", () => rejectDialog.close());
  rejectForm.addEventListener("submit", (e) => {
    const code = rejectForm.querySelector("input[name=code]:checked");
    const note = document.getElementById("reject-note").value.trim();
    if (!code || (code.value === "other" && !note)) {
      e.preventDefault();
      document.getElementById("reject-problem").textContent = "Say why in the note.";
      return;
    }
    const label = code.closest("label").textContent.trim();
    rejectForm.reason.value = `${code.value}: ${label}${note ? " — " + note : ""}`;
  });
  // "Read as chosen type" re-reads every field: say so before doing it.
  const retype = document.getElementById("read-as-other");
  if (retype) retype.closest("form").addEventListener("submit", (e) => {
    const t = document.getElementById("other-type").value;
    if (!window.confirm(`Read this document again as ${t}? Every field is read anew; corrections made so far are kept in the history only.`)) e.preventDefault();
  });
  const skip = () => document.getElementById("skip-form").submit();
  const approveBtn = document.getElementById("approve");
  if (approveBtn) {
    // Approving lists what changed since the page opened (field: old → new) first.
    const initial = new Map(inputs.map((i) => [i, valueOf(i)]));
    const dialog = document.getElementById("changes");
    let confirmed = false;
    form.addEventListener("submit", (e) => {
      const changed = inputs.filter((i) => valueOf(i).trim() !== initial.get(i).trim());
      const items = editable && itemsChanged();
      // The rows go with the approval only when the reviewer changed them.
      if (editable) document.getElementById("items-json").value = items ? JSON.stringify(rowsOf()) : "";
      if ((changed.length || items) && !confirmed) {
        e.preventDefault();
        const list = document.getElementById("changes-list");
        list.innerHTML = "";
        if (items) {
          const now = rowsOf();
          for (let n = 0; n < Math.max(now.length, initialRows.length); n++) {
            const was = initialRows[n], is = now[n];
            const li = document.createElement("li");
            li.dataset.field = "line_items";
            if (!was) li.textContent = `Line items, row ${n + 1} added: ${CELLS.map((c) => is[c]).filter(Boolean).join(" · ")}`;
            else if (!is) li.textContent = `Line items, row ${n + 1} deleted`;
            else {
              const diffs = CELLS.filter((c) => (was[c] || "").trim() !== (is[c] || "").trim());
              if (!diffs.length) continue;
              li.textContent = `Line items, row ${n + 1}: ` + diffs.map((c) => `${c.replace("_", " ")} ${was[c] || "(empty)"} → ${is[c] || "(empty)"}`).join(", ");
            }
            list.appendChild(li);
          }
        }
        changed.forEach((i) => {
          const f = i.closest(".field");
          const li = document.createElement("li");
          const old = document.createElement("span");
          old.className = "old";
          old.textContent = initial.get(i) || "(empty)";
          const shown = f.querySelector(".posted b");
          li.append(f.querySelector("label").firstChild.textContent.trim() + ": ", old, " → " + (valueOf(i).trim() || "(empty)"));
          if (shown && shown.textContent !== valueOf(i).trim()) li.append(` (posted as ${shown.textContent})`);
          li.dataset.field = f.dataset.field;
          list.appendChild(li);
        });
        dialog.showModal();
        document.getElementById("send-changes").focus();
        return;
      }
      approveBtn.disabled = true;
    });
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "send") { confirmed = true; form.requestSubmit(); }
      else if (focused) focused.focus();
    });
    document.getElementById("reject").addEventListener("click", reject);
    document.getElementById("skip").addEventListener("click", skip);
  }

  document.addEventListener("keydown", (e) => {
    if (!approveBtn || e.target.closest("dialog")) return;
    if (e.ctrlKey && e.key === "Enter") { e.preventDefault(); form.requestSubmit(); return; }
    if (e.ctrlKey && (e.key === "r" || e.key === "R")) { e.preventDefault(); reject(); return; }
    if (e.ctrlKey && (e.key === "s" || e.key === "S")) { e.preventDefault(); skip(); return; }
    if (e.key === "Enter" && e.target.matches(".field input")) {
      // Enter: this field is right; on to the next one.
      e.preventDefault();
      e.target.closest(".field").classList.add("done");
      const next = inputs[inputs.indexOf(e.target) + 1];
      if (next) next.focus(); else approveBtn.focus();
    }
  });

  // Keep the lease while the page is open; give it back on leaving.
  setInterval(() => post(`/documents/${id}/lease`, {}), 60000);
  window.addEventListener("pagehide", () => {
    navigator.sendBeacon(`/documents/${id}/release?csrf=${encodeURIComponent(csrf)}`);
  });
  if (focused) focused.focus();
})();
