// wx.openBusinessView (base library 2.6.0+) as WeChat documents it
// (developers.weixin.qq.com/miniprogram/dev/api/navigate/wx.openBusinessView.html); the pinned
// miniprogram-api-typings do not declare it.
declare namespace WechatMiniprogram {
  interface OpenBusinessViewOption {
    businessType: string;
    extraData?: Record<string, unknown>;
    success?: (result: { errMsg: string }) => void;
    fail?: (result: { errMsg: string }) => void;
    complete?: (result: { errMsg: string }) => void;
  }
  interface Wx {
    openBusinessView(option: OpenBusinessViewOption): void;
  }
}
