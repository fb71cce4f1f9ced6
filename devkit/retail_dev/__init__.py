"""What development and the tests run and production never does: the embedded document
engine (`sqlite:///` store URIs) and the local WeChat Pay (WECHATPAY_MODE=sandbox), with its
keys. Kept beside the deployed layer, not in it: scripts/package.py ships `retail` only, and
the packaging test proves the layer holds none of this. `make dev` installs it."""
