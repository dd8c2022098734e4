//! The node's QUIC client config: TLS 1.3, trusts the league CA for the relay, presents the node
//! certificate.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::QuicClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Client TLS setup errors.
#[derive(Debug, thiserror::Error)]
pub enum ClientTlsError {
    /// A PEM file is missing or bad.
    #[error("{path}: {reason}")]
    Pem {
        /// File.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// rustls refused.
    #[error("tls: {0}")]
    Rustls(#[from] rustls::Error),
    /// quinn refused.
    #[error("quic: {0}")]
    Quic(String),
}

fn pem_err(path: &Path) -> impl FnOnce(rustls::pki_types::pem::Error) -> ClientTlsError + '_ {
    move |e| ClientTlsError::Pem {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientTlsError> {
    let v: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(pem_err(path))?
        .collect();
    v.map_err(pem_err(path))
}

/// Builds the client config. `identity` = (cert PEM, key PEM); `None` = no client certificate.
pub fn client_config(
    ca: &Path,
    identity: Option<(&Path, &Path)>,
    idle_timeout: Duration,
) -> Result<quinn::ClientConfig, ClientTlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in certs(ca)? {
        roots.add(c)?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots);
    let mut tls = match identity {
        Some((cert, key)) => {
            let key = PrivateKeyDer::from_pem_file(key).map_err(pem_err(key))?;
            builder.with_client_auth_cert(certs(cert)?, key)?
        }
        None => builder.with_no_client_auth(),
    };
    tls.alpn_protocols = vec![uplink_proto::ALPN.to_vec()];
    let crypto =
        QuicClientConfig::try_from(tls).map_err(|e| ClientTlsError::Quic(e.to_string()))?;
    let mut cfg = quinn::ClientConfig::new(Arc::new(crypto));
    let mut tr = quinn::TransportConfig::default();
    tr.max_idle_timeout(Some(
        quinn::IdleTimeout::try_from(idle_timeout)
            .map_err(|e| ClientTlsError::Quic(e.to_string()))?,
    ));
    tr.keep_alive_interval(Some(idle_timeout / 4));
    cfg.transport_config(Arc::new(tr));
    Ok(cfg)
}
