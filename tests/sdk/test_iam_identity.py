"""IBM's own Python SDK (ibm-platform-services) against `iamkeys serve`.

Run by tests/it/sdk.rs, which seeds a store, starts the server and sets:
IAMKEYS_URL (the server), IAMKEYS_ACCOUNT (the account), IAMKEYS_OWNER_APIKEY
(the owner's key) and IAMKEYS_MEMBER_APIKEY (a member with no role). The
account allows 5 keys per identity and has a service ID named "exporter".
Every call goes through the SDK's own classes: IAMAuthenticator exchanges the
key for a token at IAMKEYS_URL/identity/token, IamIdentityV1 makes the calls,
and errors arrive as ApiException.
"""

import os
import time
import unittest

from ibm_cloud_sdk_core import ApiException, get_query_param
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_platform_services import IamIdentityV1
from ibm_platform_services.iam_identity_v1 import (
    AccountSettingsResponse,
    ApiKey,
    ApiKeyInsideCreateServiceIdRequest,
    ApiKeyList,
    EffectiveAccountSettingsResponse,
    Report,
    ServiceId,
    ServiceIdList,
)

URL = os.environ["IAMKEYS_URL"]
ACCOUNT = os.environ["IAMKEYS_ACCOUNT"]
OWNER_KEY = os.environ["IAMKEYS_OWNER_APIKEY"]
MEMBER_KEY = os.environ["IAMKEYS_MEMBER_APIKEY"]


def client(apikey):
    auth = IAMAuthenticator(apikey, url=URL)
    iam = IamIdentityV1(authenticator=auth)
    iam.set_service_url(URL)
    return iam


def iam_id_of(iam):
    """The caller's iam_id, from the token the SDK obtained."""
    import jwt

    token = iam.authenticator.token_manager.get_token()
    return jwt.decode(token, options={"verify_signature": False})["iam_id"]


class Sdk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.owner = client(OWNER_KEY)
        cls.member = client(MEMBER_KEY)
        cls.owner_id = iam_id_of(cls.owner)
        cls.member_id = iam_id_of(cls.member)

    def assertStatus(self, status, call, *args, **kwargs):
        with self.assertRaises(ApiException) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.status_code, status, caught.exception.message)
        return caught.exception

    # ---- tokens ----------------------------------------------------------------

    def test_token_exchange_gives_a_jwt_the_sdk_reads(self):
        manager = self.owner.authenticator.token_manager
        token = manager.get_token()
        self.assertEqual(token.count("."), 2)
        self.assertGreater(manager.expire_time, time.time())
        self.assertTrue(self.owner_id.startswith("IBMid-"))

    def test_a_wrong_key_is_refused_at_the_token_endpoint(self):
        bad = client("iamk_" + "A" * 42)
        with self.assertRaises(ApiException) as caught:
            bad.list_api_keys(account_id=ACCOUNT)
        self.assertEqual(caught.exception.status_code, 400)

    # ---- API keys ----------------------------------------------------------------

    def test_create_get_update_lock_disable_delete(self):
        made = self.owner.create_api_key(
            name="sdk-key",
            iam_id=self.owner_id,
            description="made by the SDK",
            account_id=ACCOUNT,
            entity_lock="false",
        )
        self.assertEqual(made.get_status_code(), 201)
        key = ApiKey.from_dict(made.get_result())
        self.assertTrue(key.apikey.startswith("iamk_"))
        self.assertEqual(key.account_id, ACCOUNT)
        self.assertEqual(made.get_headers()["ETag"], key.entity_tag)

        got = self.owner.get_api_key(id=key.id, include_history=True)
        self.assertEqual(got.get_result()["apikey"], "")
        etag = got.get_headers()["ETag"]
        self.assertEqual(etag, got.get_result()["entity_tag"])
        self.assertEqual(got.get_result()["history"][0]["action"], "create")

        # If-Match: a stale tag is 409, the ETag works.
        self.assertStatus(
            409, self.owner.update_api_key, id=key.id, if_match="1-stale", name="x"
        )
        updated = self.owner.update_api_key(
            id=key.id, if_match=etag, name="sdk-key-2", description="renamed"
        )
        self.assertEqual(updated.get_result()["name"], "sdk-key-2")
        self.assertNotEqual(updated.get_headers()["ETag"], etag)

        # Locked: no update, no delete until unlocked.
        self.assertEqual(self.owner.lock_api_key(id=key.id).get_status_code(), 204)
        self.assertTrue(self.owner.get_api_key(id=key.id).get_result()["locked"])
        self.assertStatus(409, self.owner.update_api_key, id=key.id, if_match="*", name="y")
        self.assertStatus(409, self.owner.delete_api_key, id=key.id)
        self.assertEqual(self.owner.unlock_api_key(id=key.id).get_status_code(), 204)

        self.assertEqual(self.owner.disable_api_key(id=key.id).get_status_code(), 204)
        self.assertTrue(self.owner.get_api_key(id=key.id).get_result()["disabled"])
        self.assertEqual(self.owner.enable_api_key(id=key.id).get_status_code(), 204)

        self.assertEqual(self.owner.delete_api_key(id=key.id).get_status_code(), 204)
        self.assertStatus(404, self.owner.get_api_key, id=key.id)

    def test_details_of_the_calling_key(self):
        made = self.owner.create_api_key(name="details", iam_id=self.owner_id).get_result()
        details = self.owner.get_api_keys_details(iam_api_key=made["apikey"])
        self.assertEqual(details.get_result()["id"], made["id"])
        self.assertEqual(details.get_result()["apikey"], "")
        self.owner.delete_api_key(id=made["id"])

    def test_locked_and_disabled_at_creation(self):
        made = self.owner.create_api_key(
            name="born-locked", iam_id=self.owner_id, entity_lock="true", entity_disable="true"
        ).get_result()
        self.assertTrue(made["locked"])
        self.assertTrue(made["disabled"])
        self.owner.unlock_api_key(id=made["id"])
        self.owner.delete_api_key(id=made["id"])

    def test_pagination_follows_next_until_it_is_absent(self):
        made = [
            self.owner.create_api_key(name=f"page-{i}", iam_id=self.owner_id).get_result()["id"]
            for i in range(3)
        ]
        seen = []
        token = None
        pages = 0
        while True:
            page = self.owner.list_api_keys(
                account_id=ACCOUNT, iam_id=self.owner_id, pagesize=2, pagetoken=token, sort="name"
            ).get_result()
            listed = ApiKeyList.from_dict(page)
            self.assertEqual(listed.limit, 2)
            seen.extend(k.name for k in listed.apikeys)
            pages += 1
            if "next" not in page:
                break
            self.assertIsNotNone(page["next"])
            token = get_query_param(page["next"], "pagetoken")
        self.assertGreaterEqual(pages, 2)
        self.assertEqual(seen, sorted(seen))
        for name in ("page-0", "page-1", "page-2"):
            self.assertIn(name, seen)
        # Going back: `previous` leads to the first page again.
        second = self.owner.list_api_keys(
            account_id=ACCOUNT, iam_id=self.owner_id, pagesize=2, sort="name",
            pagetoken=get_query_param(
                self.owner.list_api_keys(account_id=ACCOUNT, iam_id=self.owner_id, pagesize=2, sort="name")
                .get_result()["next"], "pagetoken"),
        ).get_result()
        back = get_query_param(second["previous"], "pagetoken")
        first = self.owner.list_api_keys(
            account_id=ACCOUNT, iam_id=self.owner_id, pagesize=2, sort="name", pagetoken=back
        ).get_result()
        self.assertEqual([k["name"] for k in first["apikeys"]], seen[:2])
        for key_id in made:
            self.owner.delete_api_key(id=key_id)

    def test_scope_type_sort_order_and_filter(self):
        every = self.owner.list_api_keys(account_id=ACCOUNT, scope="account", type="user", pagesize=100)
        owners = {k["iam_id"] for k in every.get_result()["apikeys"]}
        self.assertIn(self.member_id, owners)
        desc = self.owner.list_api_keys(account_id=ACCOUNT, sort="name", order="desc").get_result()
        names = [k["name"] for k in desc["apikeys"]]
        self.assertEqual(names, sorted(names, reverse=True))
        made = self.owner.create_api_key(name="filter-me", iam_id=self.owner_id).get_result()
        filtered = self.owner.list_api_keys(account_id=ACCOUNT, filter='name co "filter-"').get_result()
        self.assertEqual([k["name"] for k in filtered["apikeys"]], ["filter-me"])
        self.owner.delete_api_key(id=made["id"])

    def test_table_1_refusals_arrive_as_api_exceptions(self):
        # A view the member may not use: 403.
        self.assertStatus(403, self.member.list_api_keys, account_id=ACCOUNT, scope="account", type="user")
        # Another user's iam_id without Admin: 400, IBM's message.
        e = self.assertStatus(400, self.member.list_api_keys, account_id=ACCOUNT, iam_id=self.owner_id)
        self.assertIn("does not match the IAM ID in the token", e.message)
        self.assertStatus(400, self.member.create_api_key, name="x", iam_id=self.owner_id)
        # A key the member cannot see: 404.
        theirs = self.owner.create_api_key(name="owners-only", iam_id=self.owner_id).get_result()
        self.assertStatus(404, self.member.get_api_key, id=theirs["id"])
        self.assertStatus(404, self.member.delete_api_key, id=theirs["id"])
        self.owner.delete_api_key(id=theirs["id"])
        # A client-supplied value: 400.
        self.assertStatus(400, self.owner.create_api_key, name="v", iam_id=self.owner_id, store_value=True)

    def test_the_per_identity_limit_is_422(self):
        mine = self.member.list_api_keys(account_id=ACCOUNT).get_result()["apikeys"]
        made = []
        for i in range(5 - len(mine)):
            made.append(self.member.create_api_key(name=f"limit-{i}", iam_id=self.member_id).get_result()["id"])
        e = self.assertStatus(422, self.member.create_api_key, name="one-too-many", iam_id=self.member_id)
        self.assertIn("limit", e.message)
        for key_id in made:
            self.member.delete_api_key(id=key_id)

    # ---- service IDs -----------------------------------------------------------

    def test_service_ids(self):
        made = self.owner.create_service_id(
            account_id=ACCOUNT,
            name="sdk-service",
            description="from the SDK",
            apikey=ApiKeyInsideCreateServiceIdRequest(name="sdk-service-key"),
        )
        self.assertEqual(made.get_status_code(), 201)
        sid = ServiceId.from_dict(made.get_result())
        self.assertTrue(sid.apikey.apikey.startswith("iamk_"))
        found = ServiceIdList.from_dict(
            self.owner.list_service_ids(account_id=ACCOUNT, name="sdk-service").get_result()
        )
        self.assertEqual([s.id for s in found.serviceids], [sid.id])
        self.assertEqual(
            self.owner.list_service_ids(account_id=ACCOUNT, name="sdk-serv").get_result()["serviceids"], []
        )
        got = self.owner.get_service_id(id=sid.id)
        etag = got.get_headers()["ETag"]
        self.assertStatus(409, self.owner.update_service_id, id=sid.id, if_match="1-stale", description="x")
        updated = self.owner.update_service_id(id=sid.id, if_match=etag, description="renamed")
        self.assertEqual(updated.get_result()["description"], "renamed")
        self.assertEqual(self.owner.lock_service_id(id=sid.id).get_status_code(), 204)
        self.assertStatus(409, self.owner.delete_service_id, id=sid.id)
        self.assertEqual(self.owner.unlock_service_id(id=sid.id).get_status_code(), 204)
        # The service ID's key signs in as the service ID and reads its own keys.
        service = client(sid.apikey.apikey)
        own = service.list_api_keys(account_id=ACCOUNT).get_result()["apikeys"]
        self.assertEqual([k["iam_id"] for k in own], [sid.iam_id])
        # Deleting it deletes its keys.
        self.assertEqual(self.owner.delete_service_id(id=sid.id).get_status_code(), 204)
        self.assertStatus(404, self.owner.get_service_id, id=sid.id)
        self.assertStatus(404, self.owner.get_api_key, id=sid.apikey.id)

    # ---- account settings ------------------------------------------------------

    def test_account_settings_are_stored_echoed_and_enforced(self):
        got = self.owner.get_account_settings(account_id=ACCOUNT)
        settings = AccountSettingsResponse.from_dict(got.get_result())
        etag = got.get_headers()["ETag"]
        self.assertEqual(etag, settings.entity_tag)
        self.assertEqual(settings.history, [])
        self.assertStatus(
            409, self.owner.update_account_settings, if_match="1-stale", account_id=ACCOUNT, mfa="TOTP"
        )
        put = self.owner.update_account_settings(
            if_match=etag,
            account_id=ACCOUNT,
            restrict_create_platform_apikey="RESTRICTED",
            mfa="TOTP",
            session_expiration_in_seconds="7200",
            allowed_ip_addresses="10.0.0.0/8",
        ).get_result()
        self.assertEqual(put["restrict_create_platform_apikey"], "RESTRICTED")
        self.assertEqual(put["mfa"], "TOTP")
        self.assertEqual(put["session_expiration_in_seconds"], "7200")
        self.assertEqual(put["allowed_ip_addresses"], "10.0.0.0/8")
        try:
            # The restriction: the member (no "User API key creator" role) is refused.
            self.assertStatus(403, self.member.create_api_key, name="restricted", iam_id=self.member_id)
            effective = EffectiveAccountSettingsResponse.from_dict(
                self.owner.get_effective_account_settings(account_id=ACCOUNT).get_result()
            )
            self.assertEqual(effective.effective.restrict_create_platform_apikey, "RESTRICTED")
            # The member may not change settings.
            self.assertStatus(
                403,
                self.member.update_account_settings,
                if_match="*",
                account_id=ACCOUNT,
                restrict_create_platform_apikey="NOT_RESTRICTED",
            )
        finally:
            self.owner.update_account_settings(
                if_match="*", account_id=ACCOUNT, restrict_create_platform_apikey="NOT_RESTRICTED"
            )

    # ---- the inactive identities report ----------------------------------------

    def test_inactive_identities_report(self):
        made = self.owner.create_report(account_id=ACCOUNT, type="inactive", duration="720")
        self.assertEqual(made.get_status_code(), 202)
        reference = made.get_result()["reference"]
        deadline = time.time() + 30
        while True:
            got = self.owner.get_report(account_id=ACCOUNT, reference=reference)
            if got.get_status_code() == 200:
                break
            self.assertEqual(got.get_status_code(), 204)
            self.assertLess(time.time(), deadline, "the report was never ready")
            time.sleep(0.1)
        report = Report.from_dict(got.get_result())
        self.assertEqual(report.reference, reference)
        self.assertEqual(report.report_duration, "720")
        self.assertIn("exporter", [s.name for s in report.serviceids])
        latest = self.owner.get_report(account_id=ACCOUNT, reference="latest")
        self.assertEqual(latest.get_status_code(), 200)
        self.assertStatus(403, self.member.create_report, account_id=ACCOUNT, type="inactive")

    # ---- expiry ----------------------------------------------------------------

    def test_expires_at_in_the_forms_ibm_writes(self):
        # The form the SDK documents (no seconds, no colon in the offset),
        # IBM's with seconds, and RFC 3339.
        for sent, stored in (
            ("2049-01-02T18:30+0000", "2049-01-02T18:30:00Z"),
            ("2049-01-02T18:30:15+0000", "2049-01-02T18:30:15Z"),
            ("2049-01-02T20:30:00+02:00", "2049-01-02T18:30:00Z"),
            ("2049-01-02T18:30:00Z", "2049-01-02T18:30:00Z"),
        ):
            made = self.owner.create_api_key(
                name="expiring", iam_id=self.owner_id, expires_at=sent
            ).get_result()
            try:
                self.assertEqual(made["expires_at"], stored, sent)
            finally:
                self.owner.delete_api_key(id=made["id"])
        self.assertStatus(
            400, self.owner.create_api_key, name="x", iam_id=self.owner_id, expires_at="next tuesday"
        )

    def test_an_expiry_in_the_past_expires_the_key_at_once(self):
        made = self.owner.create_api_key(name="to-expire", iam_id=self.owner_id).get_result()
        holder = client(made["apikey"])
        self.assertEqual(holder.list_api_keys(account_id=ACCOUNT).get_status_code(), 200)
        etag = self.owner.get_api_key(id=made["id"]).get_headers()["ETag"]
        self.owner.update_api_key(id=made["id"], if_match=etag, expires_at="2001-01-01T00:00+0000")
        # Its token stops, and it can no longer be exchanged.
        self.assertStatus(401, holder.list_api_keys, account_id=ACCOUNT)
        self.assertStatus(400, client(made["apikey"]).list_api_keys, account_id=ACCOUNT)
        # It can still be read, locked, unlocked and deleted.
        got = self.owner.get_api_key(id=made["id"]).get_result()
        self.assertEqual(got["expires_at"], "2001-01-01T00:00:00Z")
        self.assertEqual(self.owner.lock_api_key(id=made["id"]).get_status_code(), 204)
        self.assertEqual(self.owner.unlock_api_key(id=made["id"]).get_status_code(), 204)
        self.assertEqual(self.owner.delete_api_key(id=made["id"]).get_status_code(), 204)

    # ---- fields and orders -----------------------------------------------------

    def test_every_field_of_an_api_key(self):
        made = self.owner.create_api_key(
            name="fields",
            iam_id=self.owner_id,
            description="all of them",
            support_sessions=True,
            action_when_leaked="delete",
        ).get_result()
        try:
            key = ApiKey.from_dict(self.owner.get_api_key(id=made["id"]).get_result())
            self.assertTrue(key.crn.endswith("::apikey:" + made["id"]), key.crn)
            self.assertEqual(key.account_id, ACCOUNT)
            self.assertEqual(key.iam_id, self.owner_id)
            self.assertEqual(key.created_by, self.owner_id)
            self.assertTrue(key.support_sessions)
            self.assertEqual(key.action_when_leaked, "delete")
            self.assertFalse(key.locked)
            self.assertFalse(key.disabled)
            self.assertEqual(key.apikey, "")
            self.assertIsNotNone(key.created_at)
            self.assertIsNotNone(key.modified_at)
            etag = key.entity_tag
            # support_sessions is fixed at creation (as on the page): the
            # same value is accepted, another is refused by name.
            e = self.assertStatus(
                400, self.owner.update_api_key, id=made["id"], if_match=etag, support_sessions=False
            )
            self.assertIn("support_sessions", e.message)
            changed = self.owner.update_api_key(
                id=made["id"], if_match=etag, support_sessions=True, action_when_leaked="none"
            ).get_result()
            self.assertTrue(changed["support_sessions"])
            self.assertEqual(changed["action_when_leaked"], "none")
            # Listed with include_history, each key carries its history.
            listed = self.owner.list_api_keys(
                account_id=ACCOUNT, iam_id=self.owner_id, include_history=True, pagesize=100
            ).get_result()["apikeys"]
            mine = [k for k in listed if k["id"] == made["id"]][0]
            self.assertEqual([h["action"] for h in mine["history"]][0], "create")
            self.assertGreaterEqual(len(mine["history"]), 2)
            for h in mine["history"]:
                self.assertEqual(h["iam_id_account"], ACCOUNT)
        finally:
            self.owner.delete_api_key(id=made["id"])

    def test_sort_by_created_by_orders_by_the_iam_id_it_shows(self):
        for order in ("asc", "desc"):
            page = self.owner.list_api_keys(
                account_id=ACCOUNT, scope="account", type="user", sort="created_by", order=order, pagesize=100
            ).get_result()["apikeys"]
            creators = [k["created_by"] for k in page]
            self.assertGreater(len(set(creators)), 1)
            self.assertEqual(creators, sorted(creators, reverse=order == "desc"))
        dated = self.owner.list_api_keys(
            account_id=ACCOUNT, scope="account", type="user", sort="created_at", pagesize=100
        ).get_result()["apikeys"]
        times = [k["created_at"] for k in dated]
        self.assertEqual(times, sorted(times))
        self.assertStatus(400, self.owner.list_api_keys, account_id=ACCOUNT, sort="colour")
        self.assertStatus(400, self.owner.list_api_keys, account_id=ACCOUNT, pagesize=101)
        self.assertStatus(400, self.owner.list_api_keys, account_id=ACCOUNT, scope="galaxy")

    def test_service_id_keys_by_type_for_the_owner(self):
        made = self.owner.create_service_id(
            account_id=ACCOUNT, name="typed", apikey=ApiKeyInsideCreateServiceIdRequest(name="typed-key")
        ).get_result()
        try:
            page = self.owner.list_api_keys(
                account_id=ACCOUNT, scope="account", type="serviceid", pagesize=100
            ).get_result()["apikeys"]
            self.assertIn(made["apikey"]["id"], [k["id"] for k in page])
            self.assertTrue(all(k["iam_id"].startswith("iam-ServiceId-") for k in page))
            users = self.owner.list_api_keys(
                account_id=ACCOUNT, scope="account", type="user", pagesize=100
            ).get_result()["apikeys"]
            self.assertNotIn(made["apikey"]["id"], [k["id"] for k in users])
        finally:
            self.owner.delete_service_id(id=made["id"])

    # ---- errors ------------------------------------------------------------------

    def test_errors_carry_ibms_shape_and_a_transaction_id(self):
        e = self.assertStatus(404, self.owner.get_api_key, id="ApiKey-00000000-0000-0000-0000-000000000000")
        body = e.http_response.json()
        self.assertEqual(body["status_code"], "404")
        self.assertTrue(body["errors"][0]["code"])
        self.assertTrue(body["errors"][0]["message"])
        self.assertTrue(body["trace"])
        self.assertEqual(e.http_response.headers["Transaction-Id"], body["trace"])
        self.assertStatus(404, self.owner.get_service_id, id="ServiceId-00000000-0000-0000-0000-000000000000")

    def test_a_bad_bearer_token_is_401(self):
        from ibm_cloud_sdk_core.authenticators import BearerTokenAuthenticator

        forged = IamIdentityV1(authenticator=BearerTokenAuthenticator("eyJhbGciOiJub25lIn0.e30."))
        forged.set_service_url(URL)
        self.assertStatus(401, forged.list_api_keys, account_id=ACCOUNT)
        # A token signed by the server but altered is refused too.
        token = self.owner.authenticator.token_manager.get_token()
        head, payload, sig = token.split(".")
        altered = IamIdentityV1(authenticator=BearerTokenAuthenticator(f"{head}.{payload}x.{sig}"))
        altered.set_service_url(URL)
        self.assertStatus(401, altered.list_api_keys, account_id=ACCOUNT)

    # ---- a service ID's own key ----------------------------------------------------

    def test_a_service_id_token_reads_its_own_keys_and_nothing_else(self):
        made = self.owner.create_service_id(
            account_id=ACCOUNT,
            name="narrow-service",
            apikey=ApiKeyInsideCreateServiceIdRequest(name="narrow-key"),
        ).get_result()
        try:
            service = client(made["apikey"]["apikey"])
            own = service.list_api_keys(account_id=ACCOUNT, type="serviceid").get_result()["apikeys"]
            self.assertEqual([k["id"] for k in own], [made["apikey"]["id"]])
            self.assertEqual(
                service.list_api_keys(account_id=ACCOUNT, type="user").get_result()["apikeys"], []
            )
            self.assertEqual(service.get_api_key(id=made["apikey"]["id"]).get_result()["name"], "narrow-key")
            self.assertStatus(403, service.list_api_keys, account_id=ACCOUNT, scope="account", type="user")
            self.assertStatus(403, service.list_api_keys, account_id=ACCOUNT, scope="account", type="serviceid")
            self.assertStatus(403, service.list_api_keys, account_id=ACCOUNT, scope="account")
            self.assertStatus(400, service.list_api_keys, account_id=ACCOUNT, iam_id=self.owner_id)
            theirs = self.owner.create_api_key(name="not-for-services", iam_id=self.owner_id).get_result()
            self.assertStatus(404, service.get_api_key, id=theirs["id"])
            self.owner.delete_api_key(id=theirs["id"])
        finally:
            self.owner.delete_service_id(id=made["id"])

    # ---- service IDs, more -------------------------------------------------------

    def test_service_ids_keep_their_history_and_can_be_born_locked(self):
        made = self.owner.create_service_id(
            account_id=ACCOUNT, name="history-service", entity_lock="true"
        ).get_result()
        try:
            self.assertTrue(made["locked"])
            self.assertStatus(409, self.owner.update_service_id, id=made["id"], if_match="*", description="no")
            self.owner.unlock_service_id(id=made["id"])
            etag = self.owner.get_service_id(id=made["id"]).get_headers()["ETag"]
            self.owner.update_service_id(id=made["id"], if_match=etag, description="now")
            plain = self.owner.get_service_id(id=made["id"]).get_result()
            self.assertEqual(plain.get("history", []), [])
            full = self.owner.get_service_id(id=made["id"], include_history=True).get_result()
            actions = [h["action"] for h in full["history"]]
            self.assertEqual(actions[0], "create")
            self.assertIn("unlock", actions)
            self.assertIn("edit", actions)
            for h in full["history"]:
                self.assertEqual(h["iam_id"], self.owner_id)
            listed = self.owner.list_service_ids(
                account_id=ACCOUNT, name="history-service", include_history=True
            ).get_result()["serviceids"]
            self.assertEqual([h["action"] for h in listed[0]["history"]], actions)
        finally:
            self.owner.delete_service_id(id=made["id"])

    def test_service_id_pages_and_order(self):
        made = [
            self.owner.create_service_id(account_id=ACCOUNT, name=f"paged-{i}").get_result()["id"]
            for i in range(3)
        ]
        try:
            seen, token = [], None
            while True:
                page = self.owner.list_service_ids(
                    account_id=ACCOUNT, pagesize=2, pagetoken=token, sort="name", order="desc"
                ).get_result()
                self.assertEqual(page["limit"], 2)
                seen.extend(s["name"] for s in page["serviceids"])
                if "next" not in page:
                    break
                token = get_query_param(page["next"], "pagetoken")
            self.assertEqual(seen, sorted(seen, reverse=True))
            for i in range(3):
                self.assertIn(f"paged-{i}", seen)
            # The member has no role on the IAM Identity service: no changes.
            self.assertStatus(403, self.member.delete_service_id, id=made[0])
        finally:
            for sid in made:
                self.owner.delete_service_id(id=sid)

    # ---- settings history ------------------------------------------------------------

    def test_account_settings_history_is_kept(self):
        etag = self.owner.get_account_settings(account_id=ACCOUNT).get_headers()["ETag"]
        self.owner.update_account_settings(
            if_match=etag, account_id=ACCOUNT, max_sessions_per_identity="3"
        )
        plain = self.owner.get_account_settings(account_id=ACCOUNT).get_result()
        self.assertEqual(plain["history"], [])
        self.assertEqual(plain["max_sessions_per_identity"], "3")
        full = AccountSettingsResponse.from_dict(
            self.owner.get_account_settings(account_id=ACCOUNT, include_history=True).get_result()
        )
        self.assertTrue(full.history)
        last = full.history[-1]
        self.assertEqual(last.iam_id, self.owner_id)
        self.assertEqual(last.iam_id_account, ACCOUNT)
        self.assertIn("max_sessions_per_identity", last.message)

    # ---- a token stops at once -------------------------------------------------

    def test_a_disabled_keys_token_stops_working(self):
        made = self.owner.create_api_key(name="short-lived", iam_id=self.owner_id).get_result()
        holder = client(made["apikey"])
        self.assertEqual(holder.list_api_keys(account_id=ACCOUNT).get_status_code(), 200)
        self.owner.disable_api_key(id=made["id"])
        self.assertStatus(401, holder.list_api_keys, account_id=ACCOUNT)
        self.owner.delete_api_key(id=made["id"])


if __name__ == "__main__":
    unittest.main()
