// @ts-check
// The mini-program's one way to call the back end: call(name, data) over
// wx.cloud.callFunction, typed by the declarations `make schemas` generates
// (retail-api.d.ts). It resolves with the answer's `data` or rejects with a RetailError
// carrying the back end's code, details.reason and message, so pages branch on them
// (CONSENT_REQUIRED -> ask for consent, OUT_OF_STOCK -> say which SKU) instead of parsing text.
"use strict";

/** @typedef {import("./retail-api").Functions} Functions */
/** @typedef {import("./retail-api").FunctionName} FunctionName */
/** @typedef {import("./retail-api").ErrorCode} ErrorCode */
/** @typedef {import("./retail-api").ErrorReason} ErrorReason */
/** @typedef {import("./retail-api").ErrorDetails} ErrorDetails */

class RetailError extends Error {
  /**
   * @param {ErrorCode} code
   * @param {string} message
   * @param {ErrorDetails} [details]
   */
  constructor(code, message, details) {
    super(message);
    this.name = "RetailError";
    /** @type {ErrorCode} */
    this.code = code;
    /** @type {ErrorReason | null} */
    this.reason = (details && details.reason) || null;
    /** @type {ErrorDetails} */
    this.details = details || {};
  }
}

/**
 * The function's answer envelope turned into its data, or a RetailError.
 * @param {unknown} result what wx.cloud.callFunction gave as `result`
 * @returns {any}
 */
function unwrap(result) {
  const answer = /** @type {{code?: string, data?: unknown, message?: string, details?: ErrorDetails}} */ (
    typeof result === "object" && result !== null ? result : {}
  );
  if (answer.code === "OK") {
    return answer.data;
  }
  if (!answer.code) {
    throw new RetailError("INTERNAL", "the function gave no answer envelope");
  }
  throw new RetailError(/** @type {ErrorCode} */ (answer.code), answer.message || answer.code, answer.details);
}

/**
 * Call one cloud function as the signed-in WeChat user.
 * @template {FunctionName} N
 * @param {N} name
 * @param {Functions[N]["request"]} data
 * @returns {Promise<Functions[N]["data"]>}
 */
function call(name, data) {
  return new Promise((resolve, reject) => {
    wx.cloud.callFunction({
      name,
      data,
      success(response) {
        try {
          resolve(unwrap(response.result));
        } catch (error) {
          reject(error);
        }
      },
      fail(failure) {
        // The platform could not reach the function (network, quota): safe to retry.
        reject(new RetailError("UPSTREAM_UNAVAILABLE", failure.errMsg || "callFunction failed"));
      },
    });
  });
}

module.exports = { call, RetailError, unwrap };
