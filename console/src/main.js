"use strict";

// The shell: sign-in, the menu for the operator's role, the date bar on the reports that use
// it, and the hash router (#/<page>?<filters>).

// What each role may open (the functions refuse the rest anyway; this keeps the menu honest).
const ROLE_PAGES = {
  admin: null,
  merchant: ["dashboard", "funnel", "segments", "orders", "order", "products", "reviews", "ads", "statements", "splits"],
  service: ["orders", "order", "pickup", "refunds", "risk", "reviews", "held", "tickets"],
};
const RANGE_PAGES = ["dashboard", "funnel", "channels", "ads"];

function allowedPages() {
  const role = (sessionStorage.getItem("retail-role") || "").split(":")[0];
  return ROLE_PAGES[role] === undefined ? [] : ROLE_PAGES[role];
}

// The signed-in role in words: 管理员, 客服, or the merchant by name once the names are known.
function roleName(role) {
  const [base, merchant] = role.split(":");
  if (base === "merchant") { return `商户 ${merchantName(merchant)}`; }
  return { admin: "管理员", service: "客服" }[base] || role;
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.hash = "#/login";
}

function showLogin() {
  document.getElementById("nav").hidden = true;
  document.getElementById("range").hidden = true;
  page.dataset.page = "login";
  page.innerHTML = `<form class="login" id="login"><h2>运营登录</h2>
    <input id="operator-id" placeholder="账号" autocomplete="username" required>
    <input id="password" type="password" placeholder="密码" autocomplete="current-password" required>
    <button type="submit">登录</button></form>`;
  document.getElementById("login").onsubmit = async (event) => {
    event.preventDefault();
    try {
      const session = await call("operator_login", {
        operator_id: document.getElementById("operator-id").value,
        password: document.getElementById("password").value,
      });
      sessionStorage.setItem(TOKEN_KEY, session.token);
      sessionStorage.setItem("retail-role", session.role);
      location.hash = "#/" + (allowedPages() ? allowedPages()[0] : "dashboard");
    } catch (error) { showError(error); }
  };
}

function showShell(name) {
  const allowed = allowedPages();
  document.querySelectorAll("#nav a").forEach((a) => {
    a.hidden = Boolean(allowed) && !allowed.includes(a.hash.slice(2));
    a.classList.toggle("active", a.hash === "#/" + name);
  });
  document.getElementById("nav").hidden = false;
  document.getElementById("range").hidden = !RANGE_PAGES.includes(name);
  document.getElementById("who").textContent = roleName(sessionStorage.getItem("retail-role") || "");
}

async function render(keepNotice) {
  charts.splice(0).forEach((c) => c.dispose());
  document.getElementById("error").hidden = true;
  if (!keepNotice) { document.getElementById("notice").hidden = true; }
  let name = (location.hash.replace(/^#\//, "") || "dashboard").split("?")[0];
  if (!token() || name === "login") { showLogin(); return; }
  const allowed = allowedPages();
  if (allowed && !allowed.includes(name)) { name = allowed[0] || "orders"; }
  if (!merchantNames) { await loadMerchantNames().catch(() => null); }  // names in the header too
  showShell(name);
  page.dataset.page = name;
  page.dataset.ready = "false";
  try {
    await (PAGES[name] || PAGES.dashboard)();
  } catch (error) { showError(error); }
  page.dataset.ready = "true";
}

function defaultRange() {
  const day = (offset) => {
    const d = new Date(Date.now() + 8 * 3600 * 1000 - offset * 86400 * 1000);  // Asia/Shanghai
    return d.toISOString().slice(0, 10);
  };
  document.getElementById("start").value = day(29);
  document.getElementById("end").value = day(0);
}

defaultRange();
document.getElementById("apply").onclick = () => render();
document.getElementById("sign-out").onclick = signOut;
window.addEventListener("hashchange", () => render());
window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
render();
