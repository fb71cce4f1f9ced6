// Load a page the way the mini-program runtime would: miniprogram-simulate renders it, the
// test calls its lifecycle (onLoad / onShow) with the query a navigation carried.
const path = require("path");
const { createWx } = require("./wx-shim");
const { made, uid } = require("./tidy");

const ROOT = path.resolve(__dirname, "..");
let simulate = null;

/** A fresh shopper: `wx` and the session are theirs from now on (their open orders are
 * ended when the file's tests are done: test/tidy.js). */
function shopperNamed(prefix) {
  const openid = uid(prefix);
  made.shoppers.push(openid);
  global.wx = createWx({ openid });
  simulate = simulate || require("miniprogram-simulate");
  return openid;
}

/** Render `pages/<name>` and attach it, like opening it. The page's code is loaded afresh
 * each time (jest keeps its own module registry, which simulate's reload cannot clear). */
function openPage(name) {
  let id = null;
  jest.isolateModules(() => {
    id = simulate.load(path.join(ROOT, name), { compiler: "simulate", rootPath: ROOT });
  });
  const page = simulate.render(id);
  page.attach(document.createElement("parent-wrapper"));
  return page;
}

/** The query string of the last navigation to `url` (navigateTo / redirectTo) as an object. */
function navigatedTo(api = "navigateTo") {
  const call = wx.calls.filter((c) => c.api === api).pop();
  if (!call) throw new Error(`no ${api} happened`);
  const [route, query = ""] = call.params.url.replace(/^\//, "").split("?");
  return { route, query: Object.fromEntries(new URLSearchParams(query)) };
}

/** The App() options of app.js, loaded as the runtime would (App registers them). */
function loadApp() {
  let options = null;
  global.App = (given) => { options = given; };
  jest.isolateModules(() => require(path.join(ROOT, "app.js")));
  return options;
}

/** The buyer confirms receipt on the order page, the way a trade-managed app does it: WeChat's
 * own confirmation opens, WeChat returns to App.onShow with its result, the page shows again. */
async function receiveAtWeChat(detail) {
  await detail.instance.confirmReceipt();
  loadApp().onShow({ scene: 1038, referrerInfo: wx.state.returning });
  await detail.instance.onShow();
}

function calledFunctions() {
  return wx.calls.filter((c) => c.api === "cloud.callFunction").map((c) => c.params.name);
}

function text(page, selector) {
  const node = page.querySelector(selector);
  return node ? node.dom.textContent.trim() : null;
}

/** The rendered node of class `cls` whose data-<key> is `value` (list items by their id). */
function item(page, cls, value, key = "id") {
  return page.querySelectorAll(cls).find((node) => node.dom.dataset[key] === value) || null;
}

/** How many times the privacy policy page was opened for this shopper. */
function privacyAsked() {
  return wx.calls.filter((c) => c.api === "navigateTo" && c.params.url.startsWith("/pages/privacy/privacy")).length;
}

/** Read the policy the checkout opened, tick the separate consent, accept, and go back. */
async function acceptPrivacy(checkout) {
  const opened = navigatedTo();
  expect(opened.route).toBe("pages/privacy/privacy");
  const privacy = openPage("pages/privacy/privacy");
  privacy.instance.onLoad(opened.query);
  expect(text(privacy, "#title")).toContain(opened.query.version);
  privacy.instance.toggleShare();
  await privacy.instance.accept();
  await checkout.instance.onShow();
}

/** The shopper picks an address at checkout; the first time, the policy is read and accepted
 * before the address leaves the phone. */
async function chooseAddress(checkout) {
  await checkout.instance.chooseAddress();
  if (checkout.data.pending) await acceptPrivacy(checkout);
  expect(checkout.data.address).toBeTruthy();
}

module.exports = {
  loadApp,
  receiveAtWeChat,
  shopperNamed, openPage, navigatedTo, calledFunctions, text, item, privacyAsked, acceptPrivacy, chooseAddress,
};
