"""Structured JSON logs with the request id, and no personal data in them."""
import json

from tests.logs import app_log


def test_logs_are_json_with_request_id_and_carry_no_personal_data(api):
    from chalicelib.platform.observability import logger
    with app_log("INFO") as sink:  # the production formatter (masking)
        email, token = api.signup(name="冯玥", phone="13811112222")
        reg = api.register(token, phone="13811112222")
        assert reg.status_code == 201
        logger.info("echo of a careless call", extra={"who": email, "phone": "13811112222",
                                                        "auth": f"Bearer {token}"})
    out = sink.getvalue()
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    served = [entry for entry in lines if entry.get("message") == "request served"]
    assert served and all(entry["route"] and "status" in entry for entry in served)
    assert all(entry.get("request_id") for entry in served)
    assert email not in out and "13811112222" not in out and token not in out
    assert "echo of a careless call" in out
