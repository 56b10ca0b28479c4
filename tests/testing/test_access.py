"""Users, roles and visibility: OPUS identities are (name, token); OPUS never answers 401."""

from __future__ import annotations

import base64
from typing import Any

import requests

WRONG = ("alice", "not-the-token")


def test_guests_may_use_expres_only(api: Any) -> None:
    assert api.get("/rest/ExPRES").status_code == 200
    listing = api.get("/rest/ExPRES-dev")
    assert listing.status_code == 403
    assert "does not have permission" in api.message(listing)
    creation = api.create("ExPRES-dev")
    assert creation.status_code == 500  # create_job has no 403 branch
    assert "JobAccessDenied" in api.message(creation)


def test_authenticated_user_on_develop(api: Any, opus_server: Any) -> None:
    job_id = api.create_job("ExPRES-dev", auth=api.ALICE, data={"branch": "develop"})
    job = api.wait_for(job_id, list_name="ExPRES-dev", auth=api.ALICE)
    assert api.text(job, "ownerId") == "alice"
    assert opus_server.job(job_id).list_name == "ExPRES-dev"


def test_wrong_token_is_403_or_500_never_401(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(auth=api.ALICE, run=False)
    assert api.get("/rest/ExPRES", auth=WRONG).status_code == 403
    assert api.get(f"/rest/ExPRES/{job_id}", auth=WRONG).status_code == 403
    assert api.create(auth=WRONG).status_code == 500
    statuses = {r.status for r in opus_server.requests}
    assert 401 not in statuses


def test_new_accounts_may_be_given_roles(opus_server_factory: Any) -> None:
    server = opus_server_factory(new_user_roles={"ExPRES"})
    response = requests.get(server.list_url(), auth=WRONG, timeout=10)
    assert response.status_code == 200
    assert b"jobref" not in response.content  # an empty list: the wrong token owns nothing


def test_jobs_are_visible_to_their_owner_only(api: Any) -> None:
    job_id = api.create_job(auth=api.ALICE, run=False)
    response = api.get(f"/rest/ExPRES/{job_id}")  # a guest
    assert response.status_code == 403
    assert api.message(response) == "User anonymous is not the owner of the job"
    assert job_id.encode() not in api.get("/rest/ExPRES").content
    assert api.get(f"/rest/ExPRES/{job_id}", auth=api.ALICE).status_code == 200
    assert api.delete(f"/rest/ExPRES/{job_id}").status_code == 403


def test_guests_share_the_anonymous_identity(api: Any) -> None:
    job_id = api.create_job(run=False)
    session = requests.Session()
    as_anonymous = session.get(
        api.url(f"/rest/ExPRES/{job_id}"), auth=("anonymous", "anonymous"), timeout=10
    )
    assert as_anonymous.status_code == 200
    empty_user = base64.b64encode(b":").decode()
    as_empty = session.get(
        api.url(f"/rest/ExPRES/{job_id}"), headers={"Authorization": f"Basic {empty_user}"}
    )
    assert as_empty.status_code == 200
    bearer = session.get(api.url("/rest/ExPRES"), headers={"Authorization": "Bearer x"})
    assert job_id.encode() in bearer.content
    session.close()


def test_store_files_are_for_their_owner(api: Any) -> None:
    job_id = api.create_job(auth=api.ALICE)
    results = api.results(api.wait_for(job_id, auth=api.ALICE))
    href = results["expres_io2015-04-30.cdf"][api.XLINK + "href"]
    assert api.get(href, auth=api.ALICE).status_code == 200
    # OPUS's /store does not catch EntityAccessDenied: a plain 500
    response = api.get(href)
    assert response.status_code == 500
    assert api.message(response) == "User anonymous is not the owner of the entity"
    assert api.get("/store").status_code == 500
    assert api.get("/store?ID=000000").status_code == 404


def test_logs_are_served_without_any_check(api: Any) -> None:
    # OPUS's /stdout and /stderr routes never load the job (so no owner check).
    job_id = api.create_job(auth=api.ALICE)
    api.wait_for(job_id, auth=api.ALICE)
    assert api.get(f"/rest/ExPRES/{job_id}/stdout").status_code == 200


def test_every_request_is_recorded_with_its_authorization(api: Any, opus_server: Any) -> None:
    opus_server.clear_requests()
    api.create(auth=api.ALICE, run=False)
    api.get("/rest/ExPRES?LAST=1")
    first, second = opus_server.requests
    assert (first.method, first.path, first.status) == ("POST", "/rest/ExPRES", 303)
    expected = base64.b64encode(b"alice:" + api.ALICE[1].encode()).decode()
    assert first.authorization == f"Basic {expected}"
    assert first.body_size > 0
    assert (second.method, second.query, second.authorization) == ("GET", "LAST=1", None)
    assert api.ALICE[1] not in repr(first)
