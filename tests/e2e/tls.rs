//! TLS in the binary: `agentmon serve` with `AGENTMON_TLS_CERT` and
//! `AGENTMON_TLS_KEY` answers HTTPS (with HSTS), WSS and OTLP/gRPC over
//! TLS with a certificate made here; clients check it (one that does not
//! trust it is refused, plain HTTP gets no answer); the certificate file
//! swapped while connections are open serves new connections, and the
//! open ones go on.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{TestApp, SECRET};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A self-signed certificate for localhost and 127.0.0.1: (cert, key) PEM.
fn certificate() -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .unwrap_or_else(|e| panic!("{e}"));
    (made.cert.pem(), made.key_pair.serialize_pem())
}

/// Writes `text` to `path` at once (a rename), as certificate tools do.
fn put(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(&tmp, path).unwrap_or_else(|e| panic!("{e}"));
}

fn client(trusted: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(trusted.as_bytes()).unwrap_or_else(|e| panic!("{e}")),
        )
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn rustls_client(trusted: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile_certs(trusted) {
        roots.add(cert).unwrap_or_else(|e| panic!("{e}"));
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

fn rustls_pemfile_certs(pem: &str) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"))
}

type Wss =
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws connection over TLS, signed in (acknowledged).
async fn wss(addr: &str, trusted: &str, token: &str) -> Wss {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let name =
        rustls::pki_types::ServerName::try_from("localhost").unwrap_or_else(|e| panic!("{e}"));
    let tls = tokio_rustls::TlsConnector::from(rustls_client(trusted))
        .connect(name, tcp)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = addr.rsplit(':').next().unwrap_or_default();
    let mut request = format!("wss://localhost:{port}/graphql")
        .into_client_request()
        .unwrap_or_else(|e| panic!("{e}"));
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws"
            .parse()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let (mut ws, _) = tokio_tungstenite::client_async(request, tls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let init =
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
    ws.send(Message::text(init.to_string()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(&mut ws).await["type"], "connection_ack");
    ws
}

async fn next(ws: &mut Wss) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap_or_else(|_| panic!("no message within 10 s"))
            .unwrap_or_else(|| panic!("closed"))
            .unwrap_or_else(|e| panic!("{e}"));
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap_or_default();
            if value["type"] != "ping" {
                return value;
            }
        }
    }
}

/// Whether the server still answers on `ws`: a graphql-transport-ws ping
/// is answered with a pong, and a subscription to an org that does not
/// exist with its error.
async fn answers(ws: &mut Wss, id: &str) {
    ws.send(Message::text(json!({"type": "ping"}).to_string()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(ws).await["type"], "pong");
    let query = "subscription { alertNotified(org: \"no-such-org\") { id } }";
    let message = json!({"id": id, "type": "subscribe", "payload": {"query": query}});
    ws.send(Message::text(message.to_string()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = next(ws).await;
    assert_eq!(answer["id"], id, "{answer}");
    assert!(
        answer["payload"].to_string().contains("no-such-org"),
        "{answer}"
    );
    let done = next(ws).await;
    assert_eq!(
        (&done["id"], &done["type"]),
        (&json!(id), &json!("complete")),
        "{done}"
    );
}

fn start(app: &TestApp, dir: &Path, http: &str, grpc: &str) -> Server {
    Server(
        Command::new(env!("CARGO_BIN_EXE_agentmon"))
            .args([
                "serve",
                "--no-worker",
                "--listen",
                http,
                "--otlp-grpc-listen",
                grpc,
            ])
            .env("DATABASE_URL", app.url())
            .env("AGENTMON_JWT_SECRET", SECRET)
            .env("AGENTMON_TLS_CERT", dir.join("cert.pem"))
            .env("AGENTMON_TLS_KEY", dir.join("key.pem"))
            .env_remove("DATABASE_APP_URL")
            .env_remove("REDIS_URL")
            .env_remove("AGENTMON_WEB_DIR")
            .env_remove("AGENTMON_DEMO")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

async fn ready(client: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if client
            .get(format!("{url}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("agentmon serve did not answer HTTPS on {url}");
}

async fn grpc_export(grpc: &str, trusted: &str) -> Result<(), String> {
    let tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(trusted))
        .domain_name("localhost");
    let channel = tonic::transport::Channel::from_shared(format!("https://{grpc}"))
        .map_err(|e| e.to_string())?
        .tls_config(tls)
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let mut client = LogsServiceClient::new(channel);
    let mut request = tonic::Request::new(ExportLogsServiceRequest::default());
    request.metadata_mut().insert(
        "x-api-key",
        "amk_wrong_wrong_wrong_wrong_wrong_wrong_wrong0"
            .parse()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    // Reaching the receiver over TLS is the point: it checks the key.
    match client.export(request).await {
        Err(status) if status.code() == tonic::Code::Unauthenticated => Ok(()),
        other => Err(format!("{other:?}")),
    }
}

#[tokio::test]
async fn https_wss_and_grpc_speak_tls_and_a_swapped_certificate_serves_new_connections() {
    let app = TestApp::new().await;
    let dir: PathBuf =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let (cert1, key1) = certificate();
    put(&dir.join("cert.pem"), &cert1);
    put(&dir.join("key.pem"), &key1);
    let free =
        || agentmon_core::storage::db::embedded::free_port().unwrap_or_else(|e| panic!("{e}"));
    let (http, grpc) = (
        format!("127.0.0.1:{}", free()),
        format!("127.0.0.1:{}", free()),
    );
    let _server = start(&app, &dir, &http, &grpc);
    let url = format!(
        "https://localhost:{}",
        http.rsplit(':').next().unwrap_or_default()
    );
    let trusting1 = client(&cert1);
    ready(&trusting1, &url).await;

    // HTTPS, with HSTS, and GraphQL behind it.
    let response = trusting1
        .post(format!("{url}/graphql"))
        .bearer_auth(app.super_admin())
        .json(&json!({"query": "{ me { role } }"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(body["data"]["me"]["role"], "SUPER_ADMIN", "{body}");
    // A client that does not trust the certificate is refused; plain
    // HTTP on the TLS port gets no answer.
    let (other, _) = certificate();
    assert!(client(&other)
        .get(format!("{url}/healthz"))
        .send()
        .await
        .is_err());
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(plain
        .get(format!("http://{http}/healthz"))
        .send()
        .await
        .is_err());
    // WSS, and OTLP/gRPC over TLS.
    let mut open = wss(&http, &cert1, &app.super_admin()).await;
    answers(&mut open, "1").await;
    grpc_export(&grpc, &cert1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let kept_alive = client(&cert1);
    let first = kept_alive
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.status(), 200);

    // The certificate renewed in place: new connections get it, within the
    // files' check interval, with no restart.
    let (cert2, key2) = certificate();
    put(&dir.join("key.pem"), &key2);
    put(&dir.join("cert.pem"), &cert2);
    let trusting2 = client(&cert2);
    let deadline = Instant::now() + Duration::from_secs(15);
    while trusting2
        .get(format!("{url}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the new certificate was not picked up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        client(&cert1)
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_err(),
        "a new connection no longer gets the old certificate"
    );
    grpc_export(&grpc, &cert2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(grpc_export(&grpc, &cert1).await.is_err());
    // What was open goes on: the websocket, and the kept-alive connection.
    answers(&mut open, "2").await;
    let again = kept_alive
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.status(), 200);
    let mut renewed = wss(&http, &cert2, &app.super_admin()).await;
    answers(&mut renewed, "3").await;
    let _ = std::fs::remove_dir_all(&dir);
}
