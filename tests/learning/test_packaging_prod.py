"""The production side of packaging and delivery (issue 13), proved against what we did not
write: MediaConvert's own API model (botocore's Stubber validates every CreateJob parameter
against it), and CloudFront's canned/custom policy signature checked with `cryptography`.
The job step's prod path (submit, wait, collect, publish, duration into the edition) runs
on moto with the MediaConvert client stubbed."""
from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.learning.conftest import run_to_end

ROLE = "arn:aws:iam::123456789012:role/lsc-mediaconvert"


def mediaconvert_client() -> Any:
    import botocore.session
    return botocore.session.get_session().create_client(
        "mediaconvert", region_name="ap-southeast-1", aws_access_key_id="x",
        aws_secret_access_key="y")  # noqa: S106 - a stubbed client sends nothing


def test_the_mediaconvert_job_is_valid_for_the_service_model() -> None:
    from botocore.stub import Stubber

    from chalicelib.learning import packaging
    client = mediaconvert_client()
    args = packaging.mediaconvert_job("s3://b/uploads/2026/C01/V1.mp4", "s3://b/2026/C01/hls/V1/index",
                                      bytes(range(16)), bytes(16), ROLE)
    enc = args["Settings"]["OutputGroups"][0]["OutputGroupSettings"]["HlsGroupSettings"]["Encryption"]
    assert enc["EncryptionMethod"] == "AES128" and enc["Type"] == "STATIC_KEY"
    assert enc["StaticKeyProvider"]["StaticKeyValue"] == bytes(range(16)).hex()
    with Stubber(client) as stub:  # raises ParamValidationError on anything the model refuses
        stub.add_response("create_job", {"Job": {"Id": "j-1", "Role": ROLE, "Settings": {}}}, args)
        assert client.create_job(**args)["Job"]["Id"] == "j-1"


def test_prod_packaging_submits_waits_and_publishes_with_the_media_duration(
        api: Any, deps: Any, clock: Any, tmp_path: Path) -> None:
    from botocore.stub import Stubber

    from chalicelib.editions import service as editions
    from chalicelib.learning import jobs, media, packaging
    from chalicelib.platform.storage import storage
    from devtools.setup_sample_videos import ffmpeg_exe, make_clip
    prod = dataclasses.replace(deps, settings=dataclasses.replace(
        deps.settings, stage="prod", mediaconvert_role_arn=ROLE))
    client = mediaconvert_client()
    mc = packaging.MediaConvertPackager.__new__(packaging.MediaConvertPackager)
    mc._client, mc._role = client, ROLE
    prod.extras["mediaconvert"] = mc
    # Given an uploaded source, queued by an admin
    clip = tmp_path / "src.mp4"
    make_clip(ffmpeg_exe(), clip, 1, 4)
    upload = "uploads/2026/C02/VPROD1.mp4"
    storage(deps).put_object("videos", upload, clip.read_bytes(), "video/mp4")
    media.request_packaging(prod, "C02", upload, "admin", clock.now())
    with Stubber(client) as stub:
        stub.add_response("create_job", {"Job": {"Id": "j-9", "Role": ROLE, "Settings": {}}})
        # When the step runs: the job is submitted with a fresh key
        assert run_to_end(jobs.package_videos, prod, clock.now()) == {"submitted": 1}
        item = media.media_repo.get("2026", "C02")
        assert item.pending_job == "j-9" and len(bytes.fromhex(item.pending_key_hex)) == 16
        assert media.status_of(item) == "packaging"
        # and while MediaConvert works, the step waits
        stub.add_response("get_job", {"Job": {"Id": "j-9", "Role": ROLE, "Settings": {},
                                              "Status": "PROGRESSING"}}, {"Id": "j-9"})
        assert run_to_end(jobs.package_videos, prod, clock.now()) == {"waiting": 1}
        # MediaConvert writes the HLS output with the key it was given (here: ffmpeg, same key)
        out = packaging.FfmpegPackager().package(clip, bytes.fromhex(item.pending_key_hex), bytes(16))
        prefix = item.pending_prefix  # the claim's own output prefix
        assert prefix.startswith("2026/C02/hls/VPROD1")
        for name, data in out.files.items():
            storage(deps).put_object("videos", prefix + ("index_720p.m3u8" if name == "index.m3u8" else name),
                                     data, "application/octet-stream")
        stub.add_response("get_job", {"Job": {
            "Id": "j-9", "Role": ROLE, "Settings": {}, "Status": "COMPLETE",
            "OutputGroupDetails": [{"OutputDetails": [{"DurationInMs": 4000}]}]}}, {"Id": "j-9"})
        # Then it is published and the course lasts what the media lasts
        assert run_to_end(jobs.package_videos, prod, clock.now()) == {"published": 1}
    item = media.media_repo.get("2026", "C02")
    assert media.status_of(item) == "ready" and item.playlist_name == "index_720p.m3u8"
    assert item.key_hex and not item.pending_key_hex
    deps._edition_cache.clear()
    assert editions.get_current(deps).course("C02").duration_s == 4
    # And nothing is pending any more
    assert run_to_end(jobs.package_videos, prod, clock.now()) == {"nothing": 1}


def test_a_failed_mediaconvert_job_keeps_the_playable_version(api: Any, deps: Any, clock: Any) -> None:
    from botocore.stub import Stubber

    from chalicelib.learning import jobs, media, packaging
    from chalicelib.platform.storage import storage
    prod = dataclasses.replace(deps, settings=dataclasses.replace(deps.settings, stage="prod"))
    client = mediaconvert_client()
    mc = packaging.MediaConvertPackager.__new__(packaging.MediaConvertPackager)
    mc._client, mc._role = client, ROLE
    prod.extras["mediaconvert"] = mc
    storage(deps).put_object("videos", "uploads/2026/C03/VBAD.mp4", b"x" * 100, "video/mp4")
    media.request_packaging(prod, "C03", "uploads/2026/C03/VBAD.mp4", "admin", clock.now())
    with Stubber(client) as stub:
        stub.add_response("create_job", {"Job": {"Id": "j-bad", "Role": ROLE, "Settings": {}}})
        run_to_end(jobs.package_videos, prod, clock.now())
        stub.add_response("get_job", {"Job": {"Id": "j-bad", "Role": ROLE, "Settings": {}, "Status": "ERROR",
                                              "ErrorMessage": "Invalid input"}}, {"Id": "j-bad"})
        assert run_to_end(jobs.package_videos, prod, clock.now()) == {"failed": 1}
    item = media.media_repo.get("2026", "C03")
    assert media.status_of(item) == "failed" and "Invalid input" in item.error


def _b64(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def test_cloudfront_segments_share_one_prefix_policy_signed_with_the_key() -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    from chalicelib.learning.video import CloudFrontVideoSigner
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    signer = CloudFrontVideoSigner("d111.cloudfront.net", "K2ABC", pem)
    urls = signer.sign_segments("2026/C01/hls/V1/", ["seg00000.ts", "seg00001.ts"], 300)
    queries = [parse_qs(urlsplit(u).query) for u in urls.values()]
    assert queries[0] == queries[1]  # one signature for the whole prefix
    q = queries[0]
    assert q["Key-Pair-Id"] == ["K2ABC"]
    policy = _b64(q["Policy"][0])
    statement = json.loads(policy)["Statement"][0]
    assert statement["Resource"] == "https://d111.cloudfront.net/2026/C01/hls/V1/*"
    assert urlsplit(urls["seg00001.ts"]).path == "/2026/C01/hls/V1/seg00001.ts"
    # CloudFront verifies RSA-SHA1 over the policy with the key group's public key
    private.public_key().verify(_b64(q["Signature"][0]), policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    with pytest.raises(Exception):  # noqa: B017, PT011 - any verification failure
        private.public_key().verify(_b64(q["Signature"][0]), policy + b" ", padding.PKCS1v15(),
                                    hashes.SHA1())  # noqa: S303
