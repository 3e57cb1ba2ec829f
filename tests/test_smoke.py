def test_health_and_registration_journey(api):
    r = api.get("/health")
    assert r.status_code == 200 and r.data == {"status": "ok"}
    email, token = api.signup()
    r = api.register(token)
    assert r.status_code == 201, r.body
    assert r.data["status"] == "pending" and r.data["fee_fen"] == 49000
    reviewer = api.staff("reviewer")
    r = api.post(f"/admin/registrations/{r.data['registration_id']}/approve", reviewer)
    assert r.status_code == 200, r.body
    assert r.data["status"] == "approved"
