//! rustls/quinn config for the relay: TLS 1.3, client certificate required; node identity of a peer.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::QuicServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use uplink_proto::NodeIdentity;

/// TLS setup errors.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// PEM file missing or unreadable.
    #[error("{path}: {reason}")]
    Pem {
        /// File.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// rustls refused the setup.
    #[error("tls: {0}")]
    Rustls(#[from] rustls::Error),
    /// Client verifier could not be built.
    #[error("client verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    /// quinn refused the crypto config.
    #[error("quic crypto: {0}")]
    Quic(String),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads every certificate of a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| TlsError::Pem {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?
        .collect();
    let certs = certs.map_err(|e| TlsError::Pem {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: path.to_path_buf(),
            reason: "no certificate".into(),
        });
    }
    Ok(certs)
}

/// Reads a private key PEM.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::Pem {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn roots(ca: &Path) -> Result<Arc<rustls::RootCertStore>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for c in load_certs(ca)? {
        roots.add(c)?;
    }
    Ok(Arc::new(roots))
}

/// Transport limits for the relay side.
#[derive(Debug, Clone, Copy)]
pub struct ServerTransport {
    /// Idle timeout.
    pub idle_timeout: Duration,
    /// Concurrent bidirectional streams per connection.
    pub max_bidi_streams: u32,
    /// Per-stream receive window (flow control = backpressure).
    pub stream_receive_window: u32,
}

/// The relay's QUIC server config: TLS 1.3, client certificate required and verified against `ca`.
pub fn server_config(
    ca: &Path,
    cert: &Path,
    key: &Path,
    t: ServerTransport,
) -> Result<quinn::ServerConfig, TlsError> {
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(roots(ca)?, provider())
            .build()?;
    let mut tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(load_certs(cert)?, load_key(key)?)?;
    tls.alpn_protocols = vec![uplink_proto::ALPN.to_vec()];
    let crypto = QuicServerConfig::try_from(tls).map_err(|e| TlsError::Quic(e.to_string()))?;
    let mut cfg = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    let mut tr = quinn::TransportConfig::default();
    tr.max_idle_timeout(Some(
        quinn::IdleTimeout::try_from(t.idle_timeout).map_err(|e| TlsError::Quic(e.to_string()))?,
    ));
    tr.max_concurrent_bidi_streams(t.max_bidi_streams.into());
    tr.max_concurrent_uni_streams(0u32.into());
    tr.stream_receive_window(t.stream_receive_window.into());
    let window = u64::from(t.stream_receive_window)
        .saturating_mul(u64::from(t.max_bidi_streams))
        .min(u64::from(u32::MAX));
    tr.receive_window(quinn::VarInt::from_u64(window).unwrap_or(quinn::VarInt::from_u32(u32::MAX)));
    cfg.transport_config(Arc::new(tr));
    Ok(cfg)
}

/// The node identity of a verified peer certificate chain (first DNS SAN that parses).
pub fn peer_identity(conn: &quinn::Connection) -> Option<NodeIdentity> {
    let chain = conn
        .peer_identity()?
        .downcast::<Vec<CertificateDer<'static>>>()
        .ok()?;
    let leaf = chain.first()?;
    let ee = webpki::EndEntityCert::try_from(leaf).ok()?;
    let id = ee.valid_dns_names().find_map(NodeIdentity::parse);
    id
}
