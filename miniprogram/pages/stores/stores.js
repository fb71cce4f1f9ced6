// Nearby stores (wx.getLocation -> store_nearby), nearest first; pick one for pickup.
const { call } = require("../../lib/retail");
const { showError } = require("../../lib/session");

Component({
  data: { stores: [], error: null },
  methods: {
    async onLoad() {
      try {
        const here = await new Promise((resolve, reject) =>
          wx.getLocation({ type: "gcj02", success: resolve, fail: reject }));
        const found = await call("store_nearby", { latitude: here.latitude, longitude: here.longitude });
        this.setData({
          stores: found.stores.map((s) => ({ ...s, distance_text: (s.distance_m / 1000).toFixed(1) + " km" })),
        });
      } catch (error) {
        showError(this, error.errMsg ? { message: "需要位置权限才能查找附近门店" } : error);
      }
    },
    choose(event) {
      wx.setStorageSync("pickup_store", event.currentTarget.dataset.id);
      wx.navigateBack();
    },
  },
});
