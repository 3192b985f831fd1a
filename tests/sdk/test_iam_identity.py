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
