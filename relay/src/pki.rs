//! Dev PKI with rcgen: a CA, node certificates (identity in a DNS SAN, see
//! [`uplink_proto::NodeIdentity`]) and relay certificates. For demos and tests; production uses the
//! league's CA.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use uplink_proto::NodeIdentity;

/// PKI errors.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// rcgen failed.
    #[error("certificate generation: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// File I/O.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: std::path::PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Bad argument.
    #[error("{0}")]
    Invalid(String),
}

/// A certificate and its key, PEM.
#[derive(Debug, Clone)]
pub struct PemPair {
    /// Certificate PEM.
    pub cert: String,
    /// PKCS#8 key PEM.
    pub key: String,
}

/// Validity of an issued certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From 2024-01-01 to 2099-01-01.
    Long,
    /// From 2020-01-01 to 2021-01-01 (for rejection tests).
    Expired,
}

const CA_CN: &str = "Touchline dev CA";

fn ca_params(cn: &str) -> Result<CertificateParams, PkiError> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, cn);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2099, 1, 1);
    Ok(p)
}

/// Creates a CA (a "rogue" CA is just another one: same name, other key).
pub fn create_ca() -> Result<PemPair, PkiError> {
    let key = KeyPair::generate()?;
    let cert = ca_params(CA_CN)?.self_signed(&key)?;
    Ok(PemPair {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

fn issue(
    ca_key_pem: &str,
    mut params: CertificateParams,
    validity: Validity,
) -> Result<PemPair, PkiError> {
    let ca_key = KeyPair::from_pem(ca_key_pem)?;
    let issuer = Issuer::new(ca_params(CA_CN)?, ca_key);
    let (nb, na) = match validity {
        Validity::Long => ((2024, 1, 1), (2099, 1, 1)),
        Validity::Expired => ((2020, 1, 1), (2021, 1, 1)),
    };
    params.not_before = rcgen::date_time_ymd(nb.0, nb.1, nb.2);
    params.not_after = rcgen::date_time_ymd(na.0, na.1, na.2);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &issuer)?;
    Ok(PemPair {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

/// Issues a node (client) certificate for `id`, signed by the CA key.
pub fn issue_node(
    ca_key_pem: &str,
    id: NodeIdentity,
    validity: Validity,
) -> Result<PemPair, PkiError> {
    let mut p = CertificateParams::new(vec![id.dns_name()])?;
    p.distinguished_name
        .push(DnType::CommonName, format!("node:{}/{}", id.venue, id.node));
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    issue(ca_key_pem, p, validity)
}

/// Issues a relay (server) certificate for DNS names and IP addresses in `names`.
pub fn issue_relay(ca_key_pem: &str, names: &[String]) -> Result<PemPair, PkiError> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    for n in names {
        let san = match n.parse::<std::net::IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(
                n.clone()
                    .try_into()
                    .map_err(|_| PkiError::Invalid(format!("not a DNS name: {n}")))?,
            ),
        };
        p.subject_alt_names.push(san);
    }
    p.distinguished_name
        .push(DnType::CommonName, "touchline relay");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    issue(ca_key_pem, p, Validity::Long)
}

fn write(path: &Path, text: &str) -> Result<(), PkiError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| PkiError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a text file.
pub fn read(path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `<dir>/<name>.pem` and `<dir>/<name>.key`.
pub fn write_pair(dir: &Path, name: &str, pair: &PemPair) -> Result<(), PkiError> {
    write(&dir.join(format!("{name}.pem")), &pair.cert)?;
    write(&dir.join(format!("{name}.key")), &pair.key)
}
