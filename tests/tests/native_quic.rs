//! quinn + rustls (ring) + rcgen: a QUIC client and server on loopback with a dev CA and
//! mutual TLS. A client with a CA-signed certificate gets an echo and its identity is visible
//! to the server; a client without a certificate gets nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const ALPN: &[u8] = b"touchline-test";

struct Pki {
    ca: CertificateDer<'static>,
    server: (CertificateDer<'static>, PrivateKeyDer<'static>),
    client: (CertificateDer<'static>, PrivateKeyDer<'static>),
}

fn dev_pki() -> anyhow::Result<Pki> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "touchline test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

    let leaf = |names: Vec<String>, cn: &str| -> anyhow::Result<_> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(names)?;
        params.distinguished_name.push(DnType::CommonName, cn);
        let cert = params.signed_by(&key, &ca)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Ok((cert.der().clone(), key))
    };
    Ok(Pki {
        ca: ca.der().clone(),
        server: leaf(vec!["localhost".into()], "relay")?,
        client: leaf(vec!["node-1.venue-a.touchline".into()], "venue-a/node-1")?,
    })
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(ca: &CertificateDer<'static>) -> anyhow::Result<Arc<rustls::RootCertStore>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone())?;
    Ok(Arc::new(roots))
}

fn server(pki: &Pki) -> anyhow::Result<quinn::Endpoint> {
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(roots(&pki.ca)?, provider())
            .build()?;
    let mut tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![pki.server.0.clone()], pki.server.1.clone_key())?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let config = quinn::ServerConfig::with_crypto(Arc::new(QuicServerConfig::try_from(tls)?));
    Ok(quinn::Endpoint::server(config, "127.0.0.1:0".parse()?)?)
}

fn client(pki: &Pki, with_cert: bool) -> anyhow::Result<quinn::Endpoint> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots(&pki.ca)?);
    let mut tls = if with_cert {
        builder.with_client_auth_cert(vec![pki.client.0.clone()], pki.client.1.clone_key())?
    } else {
        builder.with_no_client_auth()
    };
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse()?)?;
    endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(
        QuicClientConfig::try_from(tls)?,
    )));
    Ok(endpoint)
}

/// Accepts connections; echoes each bi stream prefixed with the number of peer certificates.
fn spawn_echo(endpoint: quinn::Endpoint) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut accepted = 0;
        while let Some(incoming) = endpoint.accept().await {
            let Ok(conn) = incoming.await else { continue };
            accepted += 1;
            let n_certs = conn
                .peer_identity()
                .and_then(|id| id.downcast::<Vec<CertificateDer<'static>>>().ok())
                .map(|chain| chain.len())
                .unwrap_or(0);
            tokio::spawn(async move {
                while let Ok((mut send, mut recv)) = conn.accept_bi().await {
                    let Ok(body) = recv.read_to_end(1024).await else {
                        break;
                    };
                    let mut reply = format!("certs={n_certs};").into_bytes();
                    reply.extend_from_slice(&body);
                    let _ = send.write_all(&reply).await;
                    let _ = send.finish();
                }
            });
        }
        accepted
    })
}

async fn echo(endpoint: &quinn::Endpoint, addr: SocketAddr, msg: &[u8]) -> anyhow::Result<Vec<u8>> {
    let conn = endpoint.connect(addr, "localhost")?.await?;
    let (mut send, mut recv) = conn.open_bi().await?;
    send.write_all(msg).await?;
    send.finish()?;
    Ok(recv.read_to_end(1024).await?)
}

#[tokio::test]
async fn mutual_tls_echo_and_rejection() -> anyhow::Result<()> {
    let pki = dev_pki()?;
    let server = server(&pki)?;
    let addr = server.local_addr()?;
    let accept = spawn_echo(server.clone());

    let good = client(&pki, true)?;
    let reply =
        tokio::time::timeout(Duration::from_secs(10), echo(&good, addr, b"hello")).await??;
    assert_eq!(reply, b"certs=1;hello");

    let anonymous = client(&pki, false)?;
    let refused =
        tokio::time::timeout(Duration::from_secs(10), echo(&anonymous, addr, b"sneaky")).await?;
    assert!(
        refused.is_err(),
        "a client without a certificate must not get a reply"
    );

    server.close(0u32.into(), b"done");
    let accepted = tokio::time::timeout(Duration::from_secs(10), accept).await??;
    assert_eq!(accepted, 1, "only the authenticated client is accepted");
    Ok(())
}
