//! A real `iamkeys serve` for tests: started on 127.0.0.1 and a free port
//! over a seeded data directory, stopped (and waited for) when dropped; and
//! a small HTTP client for talking to it.
#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::common::{deadline, iamkeys};

pub struct Server {
    pub child: Child,
    pub url: String,
    pub dir: PathBuf,
    /// The rest of the server's standard output, read on a thread.
    pub out: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    /// Starts `iamkeys serve` on the store in `dir` and waits for its ready
    /// line.
    pub fn start(dir: &Path) -> Server {
        Server::start_with(dir, &[])
    }

    /// [`Server::start`] with environment settings for the server.
    pub fn start_with(dir: &Path, env: &[(&str, &str)]) -> Server {
        Server::start_args(dir, env, &[])
    }

    /// [`Server::start_with`] with more arguments for `serve`.
    pub fn start_args(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Server {
        let mut cmd = iamkeys(dir);
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("iamkeys serve starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let out2 = std::sync::Arc::clone(&out);
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            for l in lines.map_while(Result::ok) {
                out2.lock().unwrap().push_str(&l);
            }
        });
        let wait =
            deadline(Duration::from_secs(30)).saturating_duration_since(std::time::Instant::now());
        let Ok(line) = rx.recv_timeout(wait) else {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the server printed no ready line: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .trim()
            .to_string();
        Server {
            child,
            url,
            dir: dir.to_path_buf(),
            out,
        }
    }

    /// Stops the server with SIGTERM and returns its exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.terminate()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let end = deadline(Duration::from_secs(20));
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            if std::time::Instant::now() > end {
                let _ = self.child.kill();
                return self.child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn client(&self) -> Http {
        Http::new(&self.url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An answer: status, headers we look at, and the body as JSON (`Null` if
/// it is empty or not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub etag: Option<String>,
    pub transaction_id: Option<String>,
    pub body: serde_json::Value,
    pub text: String,
}

/// A plain HTTP client over ureq, with an optional bearer token; never
/// turns an error status into an error.
#[derive(Clone)]
pub struct Http {
    pub base: String,
    pub token: Option<String>,
    agent: ureq::Agent,
}

impl Http {
    pub fn new(base: &str) -> Http {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Http {
            base: base.to_string(),
            token: None,
            agent,
        }
    }

    /// This client with a token for the API key `value`.
    pub fn signed_in(&self, value: &str) -> Http {
        let a = self.token_for(&[
            ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
            ("apikey", value),
        ]);
        assert_eq!(a.status, 200, "token exchange: {}", a.text);
        self.with_token(a.body["access_token"].as_str().unwrap())
    }

    /// This client with a token for a demo persona.
    pub fn as_persona(&self, email: &str) -> Http {
        let a = self.token_for(&[
            ("grant_type", "urn:iamkeys:params:oauth:grant-type:persona"),
            ("email", email),
        ]);
        assert_eq!(a.status, 200, "persona token: {}", a.text);
        self.with_token(a.body["access_token"].as_str().unwrap())
    }

    /// This client with a token for a demo persona in `account`.
    pub fn as_persona_in(&self, email: &str, account: &str) -> Http {
        let a = self.token_for(&[
            ("grant_type", "urn:iamkeys:params:oauth:grant-type:persona"),
            ("email", email),
            ("account", account),
        ]);
        assert_eq!(
            a.status, 200,
            "persona token for {email} in {account}: {}",
            a.text
        );
        self.with_token(a.body["access_token"].as_str().unwrap())
    }

    pub fn with_token(&self, token: &str) -> Http {
        Http {
            token: Some(token.to_string()),
            ..self.clone()
        }
    }

    /// Posts the token form.
    pub fn token_for(&self, form: &[(&str, &str)]) -> Answer {
        let r = self
            .agent
            .post(format!("{}/identity/token", self.base))
            .send_form(form.iter().copied());
        answer(r)
    }

    /// Any request: `method`, a path (with its query), headers and an
    /// optional JSON body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Answer {
        answer(self.send(method, path, headers, body))
    }

    /// [`Http::call`] that gives `None` where no answer came (the server
    /// refused the connection, reset it or was killed) instead of failing.
    pub fn try_call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Option<Answer> {
        self.send(method, path, headers, body)
            .ok()
            .and_then(|r| read(r, true))
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let url = format!("{}{}", self.base, path);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        match body {
            Some(b) => {
                let req = req
                    .header("Content-Type", "application/json")
                    .body(b.to_string())
                    .unwrap();
                self.agent.run(req)
            }
            None => self.agent.run(req.body(()).unwrap()),
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        self.call("GET", path, &[], None)
    }

    /// Every key the caller's own listing holds, following `next` through
    /// the pages.
    pub fn all_my_keys(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        let mut path = "/v1/apikeys?pagesize=100".to_string();
        loop {
            let page = self.get(&path);
            assert_eq!(page.status, 200, "{}", page.text);
            out.extend(page.body["apikeys"].as_array().unwrap().iter().cloned());
            match page.body["next"].as_str() {
                Some(next) => {
                    path = next
                        .split_once("/v1/")
                        .map(|(_, p)| format!("/v1/{p}"))
                        .unwrap();
                }
                None => return out,
            }
        }
    }

    pub fn post(&self, path: &str, body: &serde_json::Value) -> Answer {
        self.call("POST", path, &[], Some(body))
    }
}

fn answer(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    read(r.expect("the server answers"), false).expect("lenient")
}

/// An answer; `strict`: `None` if its body cannot be read whole (else it
/// reads as empty).
fn read(mut res: ureq::http::Response<ureq::Body>, strict: bool) -> Option<Answer> {
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = header("etag");
    let transaction_id = header("transaction-id");
    let status = res.status().as_u16();
    let text = match res.body_mut().read_to_string() {
        Ok(t) => t,
        Err(_) if strict => return None,
        Err(_) => String::new(),
    };
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Some(Answer {
        status,
        etag,
        transaction_id,
        body,
        text,
    })
}

/// Seeds a store in `dir` from a fixture text; returns the bootstrap key
/// values printed, by owner email.
pub fn seed_text(dir: &Path, fixture: &str) -> Vec<(String, String)> {
    let file = dir.with_extension("yaml");
    std::fs::write(&file, fixture).unwrap();
    let out = iamkeys(dir)
        .args(["--output", "json", "seed"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "seed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["bootstrap_keys"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|b| {
                    (
                        b["owner"].as_str().unwrap_or_default().to_string(),
                        b["apikey"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
