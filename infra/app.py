"""The CDK app: `python app.py` (what `make synth` and `cdk deploy` run) synthesises the
stack of one stage into cdk.out/ (or $CDK_OUTDIR). Offline: with no account configured it
uses a fixed dummy account; nothing here calls AWS."""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (str(ROOT), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)


def main() -> None:
    stage = os.environ.get("STAGE") or "prod"
    # Chalice imports app.py to package it: the dev routes must not exist in the package.
    os.environ["APP_STAGE"] = stage
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

    import aws_cdk as cdk

    from stacks.config import load_config
    from stacks.platform import PlatformStack

    app = cdk.App()
    account = os.environ.get("CDK_DEPLOY_ACCOUNT") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = (os.environ.get("CDK_DEPLOY_REGION") or app.node.try_get_context("lsc:region")
              or os.environ.get("CDK_DEFAULT_REGION"))
    cfg = load_config(app.node.try_get_context, stage, account, region)
    os.environ.setdefault("AWS_DEFAULT_REGION", cfg.region)  # chalice package wants one
    PlatformStack(app, cfg, env=cdk.Environment(account=cfg.account, region=cfg.region))
    app.synth()


if __name__ == "__main__":
    main()
