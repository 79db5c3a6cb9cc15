"""The caller's own profile (/users/me) and user administration (admin only)."""

from typing import Any

import httpx
import pytest

from .conftest import PASSWORD, bearer, login

ME = "/api/v1/users/me"
USERS = "/api/v1/users"
ITEMS = "/api/v1/items"
NEW_PASSWORD = "a much better passphrase"


async def id_of(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    user_id: str = (await client.get(ME, headers=headers)).json()["id"]
    return user_id


# --- Own profile ----------------------------------------------------------------------------------


async def test_me_returns_the_caller(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.get(ME, headers=auth_headers)

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "user@example.com"
    assert body["role"] == "user"
    assert "hashed_password" not in body


async def test_update_me_sets_and_clears_the_full_name(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    named = await client.patch(ME, headers=auth_headers, json={"full_name": "Ada Lovelace"})
    assert named.status_code == 200
    assert named.json()["full_name"] == "Ada Lovelace"

    unchanged = await client.patch(ME, headers=auth_headers, json={})
    assert unchanged.json()["full_name"] == "Ada Lovelace"

    cleared = await client.patch(ME, headers=auth_headers, json={"full_name": None})
    assert cleared.json()["full_name"] is None


async def test_update_me_cannot_change_role_or_status(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, headers=auth_headers, json={"role": "admin"})

    assert response.status_code == 422
    assert (await client.get(ME, headers=auth_headers)).json()["role"] == "user"


async def test_password_change_ends_every_login_session(
    client: httpx.AsyncClient, user_tokens: dict[str, str]
) -> None:
    response = await client.patch(
        ME,
        headers=bearer(user_tokens),
        json={"current_password": PASSWORD, "password": NEW_PASSWORD},
    )

    assert response.status_code == 200
    old = await client.post(
        "/api/v1/auth/login", data={"username": "user@example.com", "password": PASSWORD}
    )
    assert old.status_code == 401
    await login(client, "user@example.com", NEW_PASSWORD)
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": user_tokens["refresh_token"]}
    )
    assert refresh.status_code == 401


async def test_password_change_needs_the_current_password(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, headers=auth_headers, json={"password": NEW_PASSWORD})

    assert response.status_code == 422


async def test_password_change_refuses_a_wrong_current_password(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.patch(
        ME,
        headers=auth_headers,
        json={"current_password": "not my password", "password": NEW_PASSWORD},
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The current password is incorrect"
    await login(client, "user@example.com")  # still the old password


async def test_new_password_is_validated(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.patch(
        ME, headers=auth_headers, json={"current_password": PASSWORD, "password": "short"}
    )

    assert response.status_code == 422


# --- Administration -------------------------------------------------------------------------------


async def test_listing_users_needs_an_admin(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    assert (await client.get(USERS)).status_code == 401

    response = await client.get(USERS, headers=auth_headers)

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden",
        "message": "Admin role required",
        "details": None,
        "request_id": response.headers["X-Request-ID"],
    }


async def test_admin_lists_users_page_by_page(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    auth_headers: dict[str, str],
    other_auth_headers: dict[str, str],
) -> None:
    first = (await client.get(USERS, headers=admin_headers, params={"limit": 2})).json()
    second = (
        await client.get(USERS, headers=admin_headers, params={"limit": 2, "offset": 2})
    ).json()

    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    assert (second["total"], second["limit"], second["offset"]) == (3, 2, 2)
    assert len(first["items"]) == 2
    assert len(second["items"]) == 1
    emails = {user["email"] for user in first["items"] + second["items"]}
    assert emails == {"admin@example.com", "user@example.com", "other@example.com"}


@pytest.mark.parametrize(
    "params",
    [{"limit": 101}, {"limit": 0}, {"offset": -1}],
    ids=["limit-over-max", "limit-zero", "negative-offset"],
)
async def test_user_list_paging_is_bounded(
    client: httpx.AsyncClient, admin_headers: dict[str, str], params: dict[str, int]
) -> None:
    response = await client.get(USERS, headers=admin_headers, params=params)

    assert response.status_code == 422


async def test_admin_promotes_a_user(
    client: httpx.AsyncClient, admin_headers: dict[str, str], auth_headers: dict[str, str]
) -> None:
    user_id = await id_of(client, auth_headers)

    response = await client.patch(
        f"{USERS}/{user_id}", headers=admin_headers, json={"role": "admin"}
    )

    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    # The role is read from the database on every request: the same token now has admin rights.
    assert (await client.get(USERS, headers=auth_headers)).status_code == 200


async def test_admin_deactivates_and_reactivates_a_user(
    client: httpx.AsyncClient, admin_headers: dict[str, str], user_tokens: dict[str, str]
) -> None:
    user_id = await id_of(client, bearer(user_tokens))
    # Checked once before: where the active flag is cached, the deactivation must replace it.
    assert (await client.get(ITEMS, headers=bearer(user_tokens))).status_code == 200

    response = await client.patch(
        f"{USERS}/{user_id}", headers=admin_headers, json={"is_active": False}
    )

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert (await client.get(ME, headers=bearer(user_tokens))).status_code == 403
    assert (await client.get(ITEMS, headers=bearer(user_tokens))).status_code == 403
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": user_tokens["refresh_token"]}
    )
    assert refresh.status_code == 401  # deactivation revoked the refresh tokens
    login_response = await client.post(
        "/api/v1/auth/login", data={"username": "user@example.com", "password": PASSWORD}
    )
    assert login_response.status_code == 403

    await client.patch(f"{USERS}/{user_id}", headers=admin_headers, json={"is_active": True})
    await login(client, "user@example.com")


@pytest.mark.parametrize(
    "changes", [{"role": "user"}, {"is_active": False}], ids=["demote", "deactivate"]
)
async def test_admin_cannot_lock_themselves_out(
    client: httpx.AsyncClient, admin_headers: dict[str, str], changes: dict[str, Any]
) -> None:
    admin_id = await id_of(client, admin_headers)

    response = await client.patch(f"{USERS}/{admin_id}", headers=admin_headers, json=changes)

    assert response.status_code == 409
    assert (await client.get(ME, headers=admin_headers)).json()["role"] == "admin"


async def test_admin_update_of_an_unknown_user_is_not_found(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.patch(
        f"{USERS}/00000000-0000-4000-8000-000000000000", headers=admin_headers, json={}
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_admin_update_refuses_an_unknown_role(
    client: httpx.AsyncClient, admin_headers: dict[str, str], auth_headers: dict[str, str]
) -> None:
    user_id = await id_of(client, auth_headers)

    response = await client.patch(
        f"{USERS}/{user_id}", headers=admin_headers, json={"role": "superuser"}
    )

    assert response.status_code == 422


async def test_users_cannot_update_other_users(
    client: httpx.AsyncClient, auth_headers: dict[str, str], other_auth_headers: dict[str, str]
) -> None:
    other_id = await id_of(client, other_auth_headers)

    response = await client.patch(
        f"{USERS}/{other_id}", headers=auth_headers, json={"is_active": False}
    )

    assert response.status_code == 403
    assert (await client.get(ME, headers=other_auth_headers)).status_code == 200
