// Progressive enhancement only: every page works without this file.
// Copy buttons on command snippets, and a confirmation before revoking a token.
document.addEventListener("DOMContentLoaded", () => {
  for (const pre of document.querySelectorAll("pre.copy")) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = "Copy";
    b.setAttribute("aria-label", "Copy to clipboard");
    b.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(pre.innerText);
        b.textContent = "Copied";
      } catch (_) {
        b.textContent = "Select and copy";
      }
    });
    pre.after(b);
  }
  for (const f of document.querySelectorAll("form[data-confirm]")) {
    f.addEventListener("submit", (e) => {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  }
});
