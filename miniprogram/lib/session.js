// @ts-check
// The shopper's session: signed in once per launch (user_login with the entry scene), the
// funnel events, shared links opened, errors shown as the back end gave them.
"use strict";

const { call } = require("./retail");

/** @type {Promise<unknown> | null} */
let login = null;

function launchScene() {
  const options = wx.getLaunchOptionsSync ? wx.getLaunchOptionsSync() : null;
  return options && options.scene ? Number(options.scene) : undefined;
}

/** user_login once per launch; a failure is retried on the next page. */
function ensureLogin() {
  if (!login) {
    const scene = launchScene();
    login = call("user_login", scene ? { scene } : {}).catch((error) => {
      login = null;
      throw error;
    });
  }
  return login;
}

/**
 * Funnel events; analytics never blocks or fails a shopper's action.
 * @param {import("./retail-api").TrackedEvent[]} events
 */
function track(events) {
  return call("track", { events }).catch(() => null);
}

/**
 * A page opened from a shared link: count the visit and let the inviter be rewarded.
 * @param {string} shareCode
 */
async function openShare(shareCode) {
  await track([{ type: "share_open", share_code: shareCode, scene: launchScene() }]);
  return call("share_reward", { share_code: shareCode }).catch(() => null);
}

/**
 * Show what the back end said (its message; code, reason and details kept for the page).
 * @param {{ setData: (data: Record<string, unknown>) => void }} page
 * @param {any} error a RetailError, or anything else thrown
 */
function showError(page, error) {
  const shown = {
    code: error.code || "INTERNAL",
    reason: error.reason || null,
    message: error.message || String(error),
    details: error.details || {},
  };
  page.setData({ error: shown });
  wx.showToast({ title: shown.message, icon: "none" });
  return shown;
}

/** @type {Promise<import("./retail-api").experiment_assign.Data> | null} */
let assigned = null;

/**
 * The shopper's experiment arms and feature flags, asked once per launch; a failure means
 * no experiment (every page keeps its default), never a broken page.
 */
function assignments() {
  if (!assigned) {
    assigned = call("experiment_assign", {}).catch(() => {
      assigned = null;
      return { experiments: {}, payloads: {}, flags: {} };
    });
  }
  return assigned;
}

module.exports = { ensureLogin, track, openShare, showError, launchScene, assignments };
