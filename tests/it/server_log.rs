//! Nothing secret is logged by `iamkeys serve`: key values and tokens sent
//! in every place a client can put them (the token form, `IAM-ApiKey`,
//! `Authorization`, a path, plain or percent-encoded, a query, a
//! `Transaction-Id`, a body) appear nowhere in the log, the server's
//! output or the data directory, in any encoding.

use std::io::Read;

use serde_json::json;

use crate::common::{file_contains, files};
use crate::secrets::with_checksum;
use crate::server_common::{Server, seed_text};

const TEAM: &str = r"
version: 1
users:
  - email: owner@log.example
    name: Owner
accounts:
  - id: logged
    name: Logged
    owner: owner@log.example
    service_ids:
      - name: exporter
";

/// Every byte percent-encoded, in upper and lower case hex.
fn encoded_all(s: &str) -> [String; 2] {
    let upper: String = s.bytes().map(|b| format!("%{b:02X}")).collect();
    [upper.clone(), upper.to_lowercase()]
}

/// The forms of a secret that must appear nowhere: itself, the part that
/// makes it secret (so a partial or differently encoded copy is caught
/// too), and the whole and that part fully percent-encoded.
fn forms(secret: &str, core: &str) -> Vec<String> {
    let mut out = vec![secret.to_string(), core.to_string()];
    out.extend(encoded_all(secret));
    out.extend(encoded_all(core));
    out
}

/// A key value's secret part: after the prefix and the lookup id, before
/// the checksum.
fn secret_part(value: &str) -> &str {
    &value[5 + 12..5 + 12 + 24]
}

#[test]
fn no_key_value_or_token_reaches_the_log_the_output_or_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let boots = seed_text(&dir, TEAM);
    let boot = boots[0].1.clone();
    let mut server = Server::start_with(&dir, &[("IAMKEYS_LOG", "trace")]);
    let mut stderr = server.child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let anon = server.client();
    let owner = anon.signed_in(&boot);
    let iam_id = owner.get("/iamkeys/v1/session").body["user"]["iam_id"]
        .as_str()
        .unwrap()
        .to_string();
    let made = owner.post(
        "/v1/apikeys",
        &json!({"name": "secret-one", "iam_id": iam_id}),
    );
    assert_eq!(made.status, 201, "{}", made.text);
    let value = made.body["apikey"].as_str().unwrap().to_string();
    let key_id = made.body["id"].as_str().unwrap().to_string();
    let keyed = anon.signed_in(&value);
    let token = keyed.token.clone().unwrap();
    let signature = token.rsplit('.').next().unwrap().to_string();
    // The same lookup id with another secret and a valid checksum: a real
    // wrong guess at this key.
    let other = iamkeys::secret::generate();
    let wrong = with_checksum(&format!(
        "{}{}",
        &value[..5 + 12],
        &other.expose()[5 + 12..5 + 36]
    ));
    assert!(iamkeys::secret::parse(&wrong).is_ok());
    let mut typo = value.clone();
    typo.replace_range(20..21, if &typo[20..21] == "x" { "y" } else { "x" });

    let grant = ("grant_type", "urn:ibm:params:oauth:grant-type:apikey");
    // The token form: right, wrong, malformed, with extra fields.
    assert_eq!(anon.token_for(&[grant, ("apikey", &value)]).status, 200);
    assert_eq!(anon.token_for(&[grant, ("apikey", &wrong)]).status, 400);
    assert_eq!(anon.token_for(&[grant, ("apikey", &typo)]).status, 400);
    let extra = anon.token_for(&[
        grant,
        ("apikey", &value),
        ("response_type", "cloud_iam"),
        ("scope", &value),
    ]);
    assert_eq!(extra.status, 200, "{}", extra.text);
    // IAM-ApiKey: the right value, a wrong one.
    for v in [&value, &wrong, &typo] {
        let d = keyed.call("GET", "/v1/apikeys/details", &[("IAM-ApiKey", v)], None);
        assert!(d.text.find(v.as_str()).is_none(), "{}", d.text);
    }
    // Authorization: the token (above and here), the key value as if it
    // were a token, the token as a basic credential.
    assert_eq!(keyed.get("/v1/apikeys").status, 200);
    assert_eq!(anon.with_token(&value).get("/v1/apikeys").status, 401);
    let basic = anon.call(
        "GET",
        "/v1/apikeys",
        &[("Authorization", &format!("Basic {token}"))],
        None,
    );
    assert_eq!(basic.status, 401);
    // A key value in a path: plain, fully and partly percent-encoded,
    // encoded twice; in an API key's place, a service ID's, a route that
    // does not exist.
    let [all_upper, all_lower] = encoded_all(&value);
    let partly = format!("%69amk%5F{}", &value[5..]);
    let twice = format!("%2569amk_{}", &value[5..]);
    let mut in_paths = 0;
    for form in [&value, &all_upper, &all_lower, &partly, &twice, &wrong] {
        for path in [
            format!("/v1/apikeys/{form}"),
            format!("/v1/apikeys/{form}/lock"),
            format!("/v1/serviceids/{form}"),
            format!("/iamkeys/v1/keys/{form}"),
            format!("/no/such/route/{form}"),
            format!("/v1/apikeys/x{form}y"),
        ] {
            for method in ["GET", "POST", "DELETE"] {
                let a = owner.call(method, &path, &[], None);
                assert!(a.status >= 400, "{method} {path}: {}", a.text);
                in_paths += 1;
            }
        }
    }
    // A key value in a query.
    for q in [
        format!("/v1/apikeys?name={value}"),
        format!("/v1/apikeys?iam_id={value}"),
        format!("/v1/serviceids?name={value}"),
        format!("/v1/apikeys?filter=name%20co%20%22{value}%22"),
        format!("/v1/apikeys?pagetoken={value}"),
        format!("/v1/apikeys/{key_id}?include_history={value}"),
    ] {
        owner.get(&q);
    }
    // As the transaction id: not echoed; a fresh one is used instead.
    let mut leaks = Vec::new();
    for (i, tid) in [value.as_str(), wrong.as_str(), &format!("x-{value}-y")]
        .into_iter()
        .enumerate()
    {
        let a = owner.call("GET", "/v1/apikeys", &[("Transaction-Id", tid)], None);
        assert_eq!(a.status, 200);
        let got = a.transaction_id.clone().unwrap_or_default();
        if got.contains(secret_part(&value)) || got.contains(secret_part(&wrong)) {
            leaks.push(format!("the answer's Transaction-Id echoed key value #{i}"));
        }
        assert!(!got.is_empty(), "a transaction id is still given");
    }
    // An ordinary transaction id is kept.
    let kept = owner.call(
        "GET",
        "/v1/apikeys",
        &[("Transaction-Id", "my-trace-42")],
        None,
    );
    assert_eq!(kept.transaction_id.as_deref(), Some("my-trace-42"));
    // In a body: as a name, a description, a supplied value.
    for body in [
        json!({"name": value, "iam_id": iam_id}),
        json!({"name": "x", "description": format!("see {value}"), "iam_id": iam_id}),
        json!({"name": "x", "apikey": value, "iam_id": iam_id}),
        json!({"name": "x", "iam_id": value}),
    ] {
        let a = owner.post("/v1/apikeys", &body);
        assert_eq!(a.status, 400, "{}", a.text);
    }
    let upd = owner.call(
        "PUT",
        &format!("/v1/apikeys/{key_id}"),
        &[("If-Match", "*")],
        Some(&json!({"description": value})),
    );
    assert_eq!(upd.status, 400, "{}", upd.text);

    let out = server.out.clone();
    assert_eq!(server.stop().code(), Some(0));
    let stdout = out.lock().unwrap().clone();
    let stderr = err_reader.join().unwrap();

    let log = std::fs::read_to_string(dir.join("iamkeys.log")).unwrap();
    let logged = log.lines().filter(|l| l.contains("request")).count();
    eprintln!(
        "{} log lines ({logged} requests, {in_paths} with a key value in the path), {} files in the data directory searched",
        log.lines().count(),
        files(&dir).len()
    );
    assert!(logged >= in_paths, "the requests were logged: {log}");
    assert!(
        log.contains("<API key value>"),
        "a value in a path is redacted, not dropped"
    );

    // Each needle with a name that says what it is without quoting it.
    let mut needles: Vec<(String, String)> = Vec::new();
    for (name, secret) in [
        ("the key value", &value),
        ("the wrong value", &wrong),
        ("the mistyped value", &typo),
        ("the bootstrap key value", &boot),
    ] {
        let kinds = [
            "whole",
            "secret part",
            "whole %XX",
            "whole %xx",
            "secret part %XX",
            "secret part %xx",
        ];
        for (kind, form) in kinds.iter().zip(forms(secret, secret_part(secret))) {
            needles.push((format!("{name} ({kind})"), form));
        }
    }
    needles.push(("the token".into(), token.clone()));
    needles.push(("the token's signature".into(), signature.clone()));
    for (name, n) in &needles {
        for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            if text.contains(n.as_str()) {
                leaks.push(format!("{what} holds {name}"));
            }
        }
        for f in files(&dir) {
            if file_contains(&f, n) {
                let lines: Vec<_> = std::fs::read_to_string(&f)
                    .unwrap_or_default()
                    .lines()
                    .filter(|l| l.contains(n.as_str()))
                    .map(|l| l.replace(n.as_str(), "<HERE>"))
                    .take(3)
                    .collect();
                leaks.push(format!("{} holds {name}: {lines:?}", f.display()));
            }
        }
    }
    assert!(leaks.is_empty(), "{leaks:#?}");
}
