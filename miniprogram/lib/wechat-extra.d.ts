// wx.openBusinessView (base library 2.6.0+) and wx.requestMerchantTransfer (3.3.0+) as WeChat
// documents them (developers.weixin.qq.com/miniprogram/dev/api/navigate/wx.openBusinessView.html,
// .../api/payment/wx.requestMerchantTransfer.html); the pinned miniprogram-api-typings do not
// declare them.
declare namespace WechatMiniprogram {
  interface OpenBusinessViewOption {
    businessType: string;
    extraData?: Record<string, unknown>;
    success?: (result: { errMsg: string }) => void;
    fail?: (result: { errMsg: string }) => void;
    complete?: (result: { errMsg: string }) => void;
  }
  interface RequestMerchantTransferOption {
    mchId: string;
    appId: string;
    package: string;
    openId?: string;
    success?: (result: { errMsg: string; result?: string }) => void;
    fail?: (result: { errMsg: string }) => void;
    complete?: (result: { errMsg: string }) => void;
  }
  interface Wx {
    openBusinessView(option: OpenBusinessViewOption): void;
    requestMerchantTransfer(option: RequestMerchantTransferOption): void;
  }
}
