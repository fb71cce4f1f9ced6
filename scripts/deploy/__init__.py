"""Deploying dist/ to SCF through the Tencent Cloud API (the alternative to `scf deploy`)."""
