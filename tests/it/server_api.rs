//! `iamkeys serve` from outside: the token exchange, the API key
//! operations with IBM's shapes and status codes, and the server's life
//! (ready line, busy, graceful stop).

use serde_json::json;

use crate::common::iamkeys;
use crate::server_common::{Http, Server, seed_text};

/// An account with an owner (admin), a plain member with no role, and a
/// service ID; not a demo, so the two sign in with bootstrap-like keys
/// created by the owner.
pub const TEAM: &str = r"
version: 1
users:
  - email: owner@team.example
    name: Owner
  - email: member@team.example
    name: Member
accounts:
  - id: team
    name: Team
    owner: owner@team.example
    settings:
      api_keys_per_identity: 5
    members:
      - user: member@team.example
        invited_by: owner@team.example
    service_ids:
      - name: exporter
        description: exports
    api_keys:
      - name: member-key
        owner: member@team.example
        apikey: MEMBER_KEY
";

pub struct Team {
    pub _tmp: tempfile::TempDir,
    pub server: Server,
    pub owner: Http,
    pub member: Http,
    pub owner_key: String,
    pub member_key: String,
}

pub fn team() -> Team {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let member_key = iamkeys::secret::generate().expose().to_string();
    let boots = seed_text(&dir, &TEAM.replace("MEMBER_KEY", &member_key));
    let owner_key = boots
        .iter()
        .find(|(o, _)| o == "owner@team.example")
        .map(|(_, k)| k.clone())
        .expect("a bootstrap key for the owner");
    let server = Server::start(&dir);
    let anon = server.client();
    let owner = anon.signed_in(&owner_key);
    let member = anon.signed_in(&member_key);
    Team {
        _tmp: tmp,
        server,
        owner,
        member,
        owner_key,
        member_key,
    }
}

fn me(h: &Http) -> String {
    h.get("/iamkeys/v1/session").body["user"]["iam_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_token_names_its_identity_and_account_and_expires() {
    let t = team();
    let a = t.server.client().token_for(&[
        ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
        ("apikey", &t.owner_key),
    ]);
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["token_type"], "Bearer");
    assert_eq!(a.body["expires_in"], 3600);
    let token = a.body["access_token"].as_str().unwrap();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["account"]["bss"], "team");
    assert!(claims["iam_id"].as_str().unwrap().starts_with("IBMid-"));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(a.body["expiration"], claims["exp"]);
    let jwks = t.server.client().get("/identity/keys");
    assert_eq!(jwks.body["keys"][0]["kty"], "RSA");
    assert_eq!(jwks.body["keys"][0]["alg"], "RS256");
}

#[test]
fn wrong_unknown_and_malformed_keys_get_ibms_token_errors() {
    let t = team();
    let c = t.server.client();
    let grant = ("grant_type", "urn:ibm:params:oauth:grant-type:apikey");
    let wrong = c.token_for(&[grant, ("apikey", iamkeys::secret::generate().expose())]);
    assert_eq!(wrong.status, 400, "{}", wrong.text);
    assert_eq!(wrong.body["errorCode"], "BXNIM0415E");
    assert_eq!(
        wrong.body["errorMessage"],
        "Provided API key could not be found"
    );
    let malformed = c.token_for(&[grant, ("apikey", "not-a-key")]);
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.body["errorCode"], "BXNIM0109E");
    let persona = c.token_for(&[
        ("grant_type", "urn:iamkeys:params:oauth:grant-type:persona"),
        ("email", "owner@team.example"),
    ]);
    assert_eq!(persona.status, 400, "not a demo store: {}", persona.text);
    // No token, a bad token: 401 in the management API's shape.
    let none = c.get("/v1/apikeys");
    assert_eq!(none.status, 401);
    assert_eq!(none.body["status_code"], "401");
    assert!(none.body["trace"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        Some(none.body["trace"].as_str().unwrap().to_string()),
        none.transaction_id
    );
    assert_eq!(c.with_token("abc.def.ghi").get("/v1/apikeys").status, 401);
}

#[test]
fn create_get_update_with_if_match_lock_and_delete() {
    let t = team();
    let owner_id = me(&t.owner);
    let created = t.owner.call(
        "POST",
        "/v1/apikeys",
        &[("Entity-Lock", "false")],
        Some(&json!({"name": "ci", "iam_id": owner_id, "description": "for CI"})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let value = created.body["apikey"].as_str().unwrap();
    assert!(value.starts_with("iamk_"));
    assert_eq!(created.body["account_id"], "team");
    let id = created.body["id"].as_str().unwrap().to_string();
    let tag = created.body["entity_tag"].as_str().unwrap().to_string();
    assert_eq!(created.etag.as_deref(), Some(tag.as_str()));

    let got = t.owner.get(&format!("/v1/apikeys/{id}"));
    assert_eq!(got.status, 200);
    assert_eq!(
        got.body["apikey"], "",
        "the value is shown only at creation"
    );
    assert_eq!(got.etag.as_deref(), Some(tag.as_str()));

    // If-Match is required; a stale one is 409; the current one works.
    let path = format!("/v1/apikeys/{id}");
    let body = json!({"name": "ci-2"});
    assert_eq!(t.owner.call("PUT", &path, &[], Some(&body)).status, 400);
    let stale = t.owner.call(
        "PUT",
        &path,
        &[("If-Match", "1-0000000000000000")],
        Some(&body),
    );
    assert_eq!(stale.status, 409, "{}", stale.text);
    let ok = t
        .owner
        .call("PUT", &path, &[("If-Match", &tag)], Some(&body));
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["name"], "ci-2");
    let tag2 = ok.etag.clone().unwrap();
    assert_ne!(tag2, tag);
    assert_eq!(ok.body["entity_tag"].as_str(), Some(tag2.as_str()));

    // Locked: no edit, no delete (409) until unlocked.
    assert_eq!(
        t.owner
            .call("POST", &format!("{path}/lock"), &[], None)
            .status,
        204
    );
    let locked_edit = t
        .owner
        .call("PUT", &path, &[("If-Match", "*")], Some(&body));
    assert_eq!(locked_edit.status, 409, "{}", locked_edit.text);
    assert_eq!(t.owner.call("DELETE", &path, &[], None).status, 409);
    assert_eq!(
        t.owner
            .call("DELETE", &format!("{path}/lock"), &[], None)
            .status,
        204
    );
    assert_eq!(t.owner.call("DELETE", &path, &[], None).status, 204);
    assert_eq!(t.owner.get(&path).status, 404);
}

#[test]
fn table_1_over_http_for_a_member_without_roles() {
    let t = team();
    let member_id = me(&t.member);
    let owner_id = me(&t.owner);
    // The all-users view is the owner's, not the member's: 403.
    let refused = t.member.get("/v1/apikeys?scope=account&type=user");
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(
        t.owner.get("/v1/apikeys?scope=account&type=user").status,
        200
    );
    // Another user's iam_id without Admin: IBM's 400.
    let other = t.member.get(&format!("/v1/apikeys?iam_id={owner_id}"));
    assert_eq!(other.status, 400);
    assert_eq!(
        other.body["errors"][0]["message"],
        "The specified IAM ID does not match the IAM ID in the token"
    );
    let create_other = t
        .member
        .post("/v1/apikeys", &json!({"name": "x", "iam_id": owner_id}));
    assert_eq!(create_other.status, 400);
    // A key the member cannot see: 404.
    let owner_keys = t.owner.get("/v1/apikeys");
    let owner_key = owner_keys.body["apikeys"][0]["id"].as_str().unwrap();
    assert_eq!(
        t.member.get(&format!("/v1/apikeys/{owner_key}")).status,
        404
    );
    // The member's own list holds their key.
    let mine = t.member.get("/v1/apikeys");
    assert_eq!(mine.status, 200);
    assert_eq!(
        mine.body["apikeys"][0]["iam_id"].as_str(),
        Some(member_id.as_str())
    );
    // The limit (5 here): 4 more, then 422 with IBM's code.
    for i in 0..4 {
        let c = t.member.post(
            "/v1/apikeys",
            &json!({"name": format!("k{i}"), "iam_id": member_id}),
        );
        assert_eq!(c.status, 201, "{}", c.text);
    }
    let over = t.member.post(
        "/v1/apikeys",
        &json!({"name": "one-too-many", "iam_id": member_id}),
    );
    assert_eq!(over.status, 422, "{}", over.text);
    assert_eq!(over.body["errors"][0]["message_code"], "BXNIM0151E");
    // The restriction: 403 for the member once the owner turns it on.
    let settings = t.owner.get("/v1/accounts/team/settings/identity");
    let tag = settings.etag.clone().unwrap();
    let put = t.owner.call(
        "PUT",
        "/v1/accounts/team/settings/identity",
        &[("If-Match", &tag)],
        Some(&json!({"restrict_create_platform_apikey": "RESTRICTED", "mfa": "TOTP"})),
    );
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["restrict_create_platform_apikey"], "RESTRICTED");
    assert_eq!(put.body["mfa"], "TOTP", "stored and echoed");
    let del = t.member.get("/v1/apikeys");
    let some = del.body["apikeys"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.member
            .call("DELETE", &format!("/v1/apikeys/{some}"), &[], None)
            .status,
        204
    );
    let restricted = t
        .member
        .post("/v1/apikeys", &json!({"name": "nope", "iam_id": member_id}));
    assert_eq!(restricted.status, 403, "{}", restricted.text);
}

#[test]
fn a_token_stops_working_when_its_key_is_disabled() {
    let t = team();
    let mine = t.member.get("/v1/apikeys");
    let id = mine.body["apikeys"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(t.member.get("/v1/apikeys").status, 200);
    let d = t
        .owner
        .call("POST", &format!("/v1/apikeys/{id}/disable"), &[], None);
    assert_eq!(d.status, 204, "{}", d.text);
    assert_eq!(
        t.member.get("/v1/apikeys").status,
        401,
        "at once, not at exp"
    );
    let again = t.server.client().token_for(&[
        ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
        ("apikey", &t.member_key),
    ]);
    assert_eq!(again.status, 400);
}

#[test]
fn pages_link_onwards_and_the_last_has_no_next() {
    let t = team();
    let owner_id = me(&t.owner);
    for i in 0..3 {
        let c = t.owner.post(
            "/v1/apikeys",
            &json!({"name": format!("p{i}"), "iam_id": owner_id}),
        );
        assert_eq!(c.status, 201);
    }
    let first = t.owner.get("/v1/apikeys?pagesize=2&sort=name");
    assert_eq!(first.body["limit"], 2);
    assert_eq!(first.body["apikeys"].as_array().unwrap().len(), 2);
    let next = first.body["next"].as_str().unwrap();
    let path = next.strip_prefix(&t.server.url).unwrap();
    let second = t.owner.get(path);
    assert_eq!(second.status, 200);
    assert!(second.body.get("next").is_none(), "{}", second.text);
    assert_eq!(second.body["limit"], 2);
    assert!(t.owner.get("/v1/apikeys?pagesize=0").status == 400);
    assert!(t.owner.get("/v1/apikeys?pagetoken=garbage").status == 400);
}

#[test]
fn a_second_server_on_the_store_is_busy_and_sigterm_stops_cleanly() {
    let t = team();
    let out = iamkeys(&t.server.dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("busy"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = t.server.dir.clone();
    let status = t.server.stop();
    assert_eq!(status.code(), Some(0));
    let check = iamkeys(&dir).arg("check").output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn a_public_address_without_tls_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = iamkeys(&tmp.path().join("d"))
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--insecure-http"));
}

#[test]
fn service_ids_with_their_keys_and_tokens() {
    let t = team();
    let created = t.owner.call(
        "POST",
        "/v1/serviceids/",
        &[],
        Some(
            &json!({"account_id": "team", "name": "builder", "description": "CI",
                     "apikey": {"name": "builder-key", "description": "first"}}),
        ),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let sid = created.body["id"].as_str().unwrap().to_string();
    let sid_iam = created.body["iam_id"].as_str().unwrap().to_string();
    let value = created.body["apikey"]["apikey"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        created.body["apikey"]["iam_id"].as_str(),
        Some(sid_iam.as_str())
    );
    assert_eq!(created.etag.as_deref(), created.body["entity_tag"].as_str());

    // Found by exact name only; without the trailing slash too.
    let named = t.owner.get("/v1/serviceids?account_id=team&name=builder");
    assert_eq!(named.body["serviceids"].as_array().unwrap().len(), 1);
    let partial = t.owner.get("/v1/serviceids/?account_id=team&name=build");
    assert_eq!(partial.body["serviceids"].as_array().unwrap().len(), 0);

    // The service ID's own key gets a token that reads its own keys only.
    let svc = t.server.client().signed_in(&value);
    let own = svc.get("/v1/apikeys");
    assert_eq!(own.status, 200, "{}", own.text);
    let own_keys = own.body["apikeys"].as_array().unwrap();
    assert_eq!(own_keys.len(), 1);
    assert_eq!(own_keys[0]["iam_id"].as_str(), Some(sid_iam.as_str()));
    let member_keys = t.member.get("/v1/apikeys");
    let member_key = member_keys.body["apikeys"][0]["id"].as_str().unwrap();
    assert_eq!(svc.get(&format!("/v1/apikeys/{member_key}")).status, 404);
    let refused = svc.post("/v1/apikeys", &json!({"name": "x", "iam_id": sid_iam}));
    assert_eq!(refused.status, 403, "{}", refused.text);

    // Update against If-Match; a locked service ID refuses changes (409).
    let path = format!("/v1/serviceids/{sid}");
    let tag = t.owner.get(&path).etag.unwrap();
    let body = json!({"description": "builds"});
    assert_eq!(
        t.owner
            .call("PUT", &path, &[("If-Match", "1-stale")], Some(&body))
            .status,
        409
    );
    let ok = t
        .owner
        .call("PUT", &path, &[("If-Match", &tag)], Some(&body));
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["description"], "builds");
    assert_eq!(
        t.owner
            .call("POST", &format!("{path}/lock"), &[], None)
            .status,
        204
    );
    assert_eq!(
        t.owner
            .call("PUT", &path, &[("If-Match", "*")], Some(&body))
            .status,
        409
    );
    assert_eq!(t.owner.call("DELETE", &path, &[], None).status, 409);
    assert_eq!(
        t.owner
            .call("DELETE", &format!("{path}/lock"), &[], None)
            .status,
        204
    );
    // A member without a role may not change service IDs.
    assert_eq!(t.member.call("DELETE", &path, &[], None).status, 403);
    // Deleting it deletes its keys: its token stops working too.
    assert_eq!(t.owner.call("DELETE", &path, &[], None).status, 204);
    assert_eq!(t.owner.get(&path).status, 404);
    assert_eq!(svc.get("/v1/apikeys").status, 401);
    let left = t.owner.get(&format!("/v1/apikeys?iam_id={sid_iam}"));
    assert_eq!(
        left.body["apikeys"].as_array().map(Vec::len),
        Some(0),
        "{}",
        left.text
    );
}

#[test]
fn restricting_service_id_creation_needs_the_creator_role() {
    let t = team();
    let create = |h: &Http, name: &str| {
        h.post(
            "/v1/serviceids/",
            &json!({"account_id": "team", "name": name}),
        )
        .status
    };
    assert_eq!(create(&t.member, "by-member"), 201);
    let put = t.owner.call(
        "PUT",
        "/v1/accounts/team/settings/identity",
        &[("If-Match", "*")],
        Some(&json!({"restrict_create_service_id": "RESTRICTED"})),
    );
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["restrict_create_service_id"], "RESTRICTED");
    assert_eq!(create(&t.member, "refused"), 403);
    assert_eq!(
        create(&t.owner, "refused-too"),
        403,
        "the role decides, as for keys"
    );
    // The member may not change settings at all.
    let member_put = t.member.call(
        "PUT",
        "/v1/accounts/team/settings/identity",
        &[("If-Match", "*")],
        Some(&json!({"restrict_create_service_id": "NOT_RESTRICTED"})),
    );
    assert_eq!(member_put.status, 403);
    // Unknown fields and bad values are 400, and nothing changes.
    let bad = t.owner.call(
        "PUT",
        "/v1/accounts/team/settings/identity",
        &[("If-Match", "*")],
        Some(&json!({"restrict_create_service_id": "MAYBE"})),
    );
    assert_eq!(bad.status, 400);
    let now = t.owner.get("/v1/accounts/team/settings/identity");
    assert_eq!(now.body["restrict_create_service_id"], "RESTRICTED");
    let eff = t.owner.get("/v1/accounts/team/effective_settings/identity");
    assert_eq!(eff.status, 200);
    assert_eq!(
        eff.body["effective"]["restrict_create_service_id"],
        "RESTRICTED"
    );
}

#[test]
fn the_inactive_identities_report() {
    let t = team();
    let asked = t.owner.call(
        "POST",
        "/v1/activity/accounts/team/report?type=inactive&duration=24",
        &[],
        None,
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    let reference = asked.body["reference"].as_str().unwrap().to_string();
    let mut report = None;
    crate::common::wait_until("the report", std::time::Duration::from_secs(10), || {
        let a = t
            .owner
            .get(&format!("/v1/activity/accounts/team/report/{reference}"));
        assert!(a.status == 200 || a.status == 204, "{}", a.text);
        let done = a.status == 200;
        report = Some(a);
        done
    });
    let report = report.unwrap().body;
    assert_eq!(report["reference"].as_str(), Some(reference.as_str()));
    assert_eq!(report["report_duration"], "24");
    // Both people signed in just now (their tokens), so neither is inactive;
    // the service ID never authenticated.
    let users: Vec<_> = report["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].clone())
        .collect();
    assert!(users.is_empty(), "{users:?}");
    assert_eq!(report["serviceids"][0]["name"], "exporter");
    let latest = t.owner.get("/v1/activity/accounts/team/report/latest");
    assert_eq!(latest.status, 200);
    // A member without Admin may not ask for it.
    let refused = t.member.call(
        "POST",
        "/v1/activity/accounts/team/report?type=inactive",
        &[],
        None,
    );
    assert_eq!(refused.status, 403);
}

#[test]
fn tls_with_a_given_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    seed_text(
        &dir,
        &TEAM.replace("MEMBER_KEY", iamkeys::secret::generate().expose()),
    );
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = tmp.path().join("cert.pem");
    let key = tmp.path().join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let server = Server::start_args(
        &dir,
        &[],
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let roots = ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![
        ureq::tls::Certificate::from_der(ck.cert.der()).to_owned(),
    ]));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .build()
        .into();
    let mut res = agent
        .get(format!("{}/identity/keys", server.url))
        .call()
        .expect("HTTPS answers");
    let jwks: serde_json::Value =
        serde_json::from_str(&res.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    // Plain HTTP on the TLS port gets no answer.
    let plain = server.url.replacen("https://", "http://", 1);
    assert!(ureq::get(format!("{plain}/identity/keys")).call().is_err());
    // A key file that is not a key: exit 2, naming it.
    let out = iamkeys(&dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&cert)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn details_by_value_history_filters_and_an_expiry_in_the_past() {
    let t = team();
    let owner_id = me(&t.owner);
    let made = t.owner.call(
        "POST",
        "/v1/apikeys",
        &[("Entity-Disable", "true")],
        Some(&json!({"name": "nightly-export", "iam_id": owner_id,
                     "expires_at": "2049-01-02T18:30:00+0000"})),
    );
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.body["disabled"], true);
    assert_eq!(made.body["expires_at"], "2049-01-02T18:30:00Z");
    let id = made.body["id"].as_str().unwrap().to_string();
    let value = made.body["apikey"].as_str().unwrap().to_string();

    // Details by value: the key, never the value.
    let d = t.owner.call(
        "GET",
        "/v1/apikeys/details",
        &[("IAM-ApiKey", &value)],
        None,
    );
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.body["id"].as_str(), Some(id.as_str()));
    assert_eq!(d.body["apikey"], "");
    let wrong = t.owner.call(
        "GET",
        "/v1/apikeys/details",
        &[("IAM-ApiKey", iamkeys::secret::generate().expose())],
        None,
    );
    assert_eq!(wrong.status, 404);

    // History on request; a name filter; the account scope.
    let h = t
        .owner
        .get(&format!("/v1/apikeys/{id}?include_history=true"));
    let actions: Vec<_> = h.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions, ["create", "disable"]);
    assert!(
        t.owner
            .get(&format!("/v1/apikeys/{id}"))
            .body
            .get("history")
            .is_none()
    );
    let f = t.owner.get("/v1/apikeys?filter=name%20co%20%22EXPORT%22");
    let names: Vec<_> = f.body["apikeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].clone())
        .collect();
    assert_eq!(names, [json!("nightly-export")]);
    assert_eq!(
        t.owner.get("/v1/apikeys?filter=id%20eq%20%22x%22").status,
        400
    );
    let all = t.owner.get("/v1/apikeys?scope=account&pagesize=100");
    let owners: std::collections::BTreeSet<_> = all.body["apikeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["iam_id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        owners.len() >= 2,
        "every user's keys in the account: {owners:?}"
    );

    // An expiry in the past expires the key at once; it can still be read
    // and deleted.
    let past = t.owner.call(
        "PUT",
        &format!("/v1/apikeys/{id}"),
        &[("If-Match", "*")],
        Some(&json!({"expires_at": "2020-01-01T00:00:00Z"})),
    );
    assert_eq!(past.status, 200, "{}", past.text);
    assert_eq!(past.body["expires_at"], "2020-01-01T00:00:00Z");
    assert_eq!(t.owner.get(&format!("/v1/apikeys/{id}")).status, 200);
    assert_eq!(
        t.owner
            .call("DELETE", &format!("/v1/apikeys/{id}"), &[], None)
            .status,
        204
    );
    // A value supplied by the client is refused.
    let supplied = t.owner.post(
        "/v1/apikeys",
        &json!({"name": "mine", "iam_id": owner_id, "apikey": value}),
    );
    assert_eq!(supplied.status, 400);
    assert!(!supplied.text.contains(&value), "never echoed");
}

/// A body that arrives after the headers (here an empty chunked body whose
/// end comes a moment later, as HTTP clients send for a POST without
/// content) is read before the answer, so the connection stays open for
/// the next request.
#[test]
fn a_late_body_is_read_before_the_answer_and_the_connection_stays_open() {
    use std::io::{Read, Write};
    let t = team();
    let addr = t.server.url.strip_prefix("http://").unwrap().to_string();
    let mut sock = std::net::TcpStream::connect(&addr).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST /v1/apikeys/x/lock HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    sock.write_all(b"0\r\n\r\n").unwrap();
    let second = format!("GET /identity/keys HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    sock.write_all(second.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("\"keys\"") {
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(
        text.contains("\"keys\""),
        "the second request on the connection was answered: {text}"
    );
}
