//! Registry CA bundles as the runner uses them: the PEM file it finds as `ca.crt` (else
//! `ca.pem`) in its TLS folder becomes the ONLY trust pool for the first pull attempt.
//!
//! Pure: bytes and "now" in, a report out. A private key is refused outright (and never
//! echoed); certificates are checked for the CA flag and validity.

use std::fmt;

use rustls_pki_types::pem::{PemObject, SectionKind};
use sha2::Digest as _;

/// Warn when a certificate expires within this many days.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// One certificate of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// basicConstraints CA:TRUE
    pub is_ca: bool,
    pub self_signed: bool,
    /// SHA-256 of the DER, lower-case hex.
    pub sha256: String,
}

impl CertInfo {
    /// `not_after` as RFC 3339 (UTC).
    pub fn not_after_rfc3339(&self) -> String {
        format_unix(self.not_after)
    }
}

/// Something about the bundle that works but deserves the user's attention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaWarning {
    NotCa {
        subject: String,
    },
    ExpiresSoon {
        subject: String,
        days: i64,
        not_after: i64,
    },
    Expired {
        subject: String,
        not_after: i64,
    },
    NotYetValid {
        subject: String,
        not_before: i64,
    },
}

impl fmt::Display for CaWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaWarning::NotCa { subject } => write!(
                f,
                "certificate \"{subject}\" is not a CA (no basicConstraints CA:TRUE); the runner \
                 trusts only this bundle, so it must hold the CA that signed the registry's \
                 certificate (a leaf certificate only works as its own trust anchor)"
            ),
            CaWarning::ExpiresSoon {
                subject,
                days,
                not_after,
            } => write!(
                f,
                "certificate \"{subject}\" expires in {days} day(s), at {}; plan its renewal",
                format_unix(*not_after)
            ),
            CaWarning::Expired { subject, not_after } => write!(
                f,
                "certificate \"{subject}\" expired at {}; pulls that rely on it will fail",
                format_unix(*not_after)
            ),
            CaWarning::NotYetValid {
                subject,
                not_before,
            } => write!(
                f,
                "certificate \"{subject}\" is not valid before {}; check the clocks",
                format_unix(*not_before)
            ),
        }
    }
}

/// What is in a CA bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaReport {
    pub certs: Vec<CertInfo>,
    pub warnings: Vec<CaWarning>,
}

/// Why a file is not a usable CA bundle. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaError {
    #[error("holds a private key; give only the CA certificate(s), never a key")]
    PrivateKey,
    #[error(
        "is a DER (binary) certificate, not PEM; convert it with `openssl x509 -inform der -in FILE -out ca.crt`"
    )]
    Der,
    #[error("holds no PEM data; it must contain at least one -----BEGIN CERTIFICATE----- block")]
    NotPem,
    #[error(
        "holds PEM data ({0}) but no certificate; it must contain at least one -----BEGIN CERTIFICATE----- block"
    )]
    NoCertificate(String),
    #[error(
        "has a malformed PEM block ({0}); give the CA certificate file as the registry's admin issued it"
    )]
    BadPem(String),
    #[error(
        "certificate #{0} is not a valid X.509 certificate; check it with `openssl x509 -noout -text -in FILE` and give the registry's CA certificate"
    )]
    BadCertificate(usize),
}

/// Parse and check a PEM CA bundle.
pub fn analyze_ca_pem(pem: &[u8], now_unix: i64) -> Result<CaReport, CaError> {
    // Private keys first, whatever their label (rustls-pki-types skips unknown labels such as
    // ENCRYPTED PRIVATE KEY, so look at the BEGIN lines ourselves).
    let text = String::from_utf8_lossy(pem);
    let labels: Vec<String> = text
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("-----BEGIN ")
                .and_then(|r| r.strip_suffix("-----"))
        })
        .map(str::to_string)
        .collect();
    if labels.iter().any(|l| l.contains("PRIVATE KEY")) {
        return Err(CaError::PrivateKey);
    }
    if labels.is_empty() {
        if pem.first() == Some(&0x30) && x509_parser::parse_x509_certificate(pem).is_ok() {
            return Err(CaError::Der);
        }
        return Err(CaError::NotPem);
    }
    let mut ders = Vec::new();
    for section in <(SectionKind, Vec<u8>) as PemObject>::pem_slice_iter(pem) {
        match section {
            Ok((SectionKind::Certificate, der)) => ders.push(der),
            Ok((SectionKind::PrivateKey | SectionKind::RsaPrivateKey, _))
            | Ok((SectionKind::EcPrivateKey, _)) => return Err(CaError::PrivateKey),
            Ok(_) => {}
            Err(e) => return Err(CaError::BadPem(pem_error_summary(&e))),
        }
    }
    if ders.is_empty() {
        return Err(CaError::NoCertificate(labels.join(", ")));
    }
    let mut report = CaReport {
        certs: Vec::new(),
        warnings: Vec::new(),
    };
    for (i, der) in ders.iter().enumerate() {
        let (_, cert) =
            x509_parser::parse_x509_certificate(der).map_err(|_| CaError::BadCertificate(i + 1))?;
        let subject = cert.subject().to_string();
        let issuer = cert.issuer().to_string();
        let info = CertInfo {
            subject: subject.clone(),
            self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
            issuer,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            is_ca: cert.is_ca(),
            sha256: hex::encode(sha2::Sha256::digest(der)),
        };
        if !info.is_ca {
            report.warnings.push(CaWarning::NotCa {
                subject: subject.clone(),
            });
        }
        if info.not_after < now_unix {
            report.warnings.push(CaWarning::Expired {
                subject: subject.clone(),
                not_after: info.not_after,
            });
        } else if info.not_after - now_unix < EXPIRY_WARNING_DAYS * 86_400 {
            report.warnings.push(CaWarning::ExpiresSoon {
                subject: subject.clone(),
                days: (info.not_after - now_unix) / 86_400,
                not_after: info.not_after,
            });
        }
        if info.not_before > now_unix {
            report.warnings.push(CaWarning::NotYetValid {
                subject,
                not_before: info.not_before,
            });
        }
        report.certs.push(info);
    }
    Ok(report)
}

fn pem_error_summary(e: &rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error as E;
    match e {
        E::MissingSectionEnd { .. } => "a block has no END line".into(),
        E::IllegalSectionStart { .. } => "a BEGIN line is malformed".into(),
        E::Base64Decode(_) => "a block is not valid base64".into(),
        E::SectionTooLarge => "a block is too large".into(),
        _ => "unreadable".into(),
    }
}

/// Unix seconds as RFC 3339 UTC (`2026-01-02T03:04:05Z`).
pub fn format_unix(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => t
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| secs.to_string()),
        Err(_) => secs.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000; // 2027-01-15

    fn cert(ca: bool, not_before: i64, not_after: i64) -> (String, String) {
        let mut params =
            rcgen::CertificateParams::new(vec!["registry.example.com".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        params.is_ca = if ca {
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained)
        } else {
            rcgen::IsCa::NoCa
        };
        params.not_before = time::OffsetDateTime::from_unix_timestamp(not_before).unwrap();
        params.not_after = time::OffsetDateTime::from_unix_timestamp(not_after).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let c = params.self_signed(&key).unwrap();
        (c.pem(), key.serialize_pem())
    }

    #[test]
    fn valid_ca() {
        let (pem, _) = cert(true, NOW - 86_400, NOW + 400 * 86_400);
        let r = analyze_ca_pem(pem.as_bytes(), NOW).unwrap();
        assert_eq!(r.certs.len(), 1);
        assert!(r.certs[0].is_ca && r.certs[0].self_signed);
        assert!(r.certs[0].subject.contains("CN=Test CA"));
        assert_eq!(r.certs[0].sha256.len(), 64);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn warnings_for_leaf_soon_and_expired() {
        let (leaf, _) = cert(false, NOW - 86_400, NOW + 400 * 86_400);
        let r = analyze_ca_pem(leaf.as_bytes(), NOW).unwrap();
        assert!(matches!(r.warnings[..], [CaWarning::NotCa { .. }]));
        let (soon, _) = cert(true, NOW - 86_400, NOW + 10 * 86_400);
        let r = analyze_ca_pem(soon.as_bytes(), NOW).unwrap();
        assert!(matches!(
            r.warnings[..],
            [CaWarning::ExpiresSoon { days: 10, .. }]
        ));
        let (old, _) = cert(true, NOW - 90 * 86_400, NOW - 86_400);
        let r = analyze_ca_pem(old.as_bytes(), NOW).unwrap();
        assert!(matches!(r.warnings[..], [CaWarning::Expired { .. }]));
        assert!(r.warnings[0].to_string().contains("expired"));
        // a bundle: every certificate is reported
        let bundle = format!("# comment\n{leaf}\n{old}");
        let r = analyze_ca_pem(bundle.as_bytes(), NOW).unwrap();
        assert_eq!(r.certs.len(), 2);
        assert_eq!(r.warnings.len(), 2);
    }

    #[test]
    fn refuses_keys_and_garbage() {
        let (pem, key) = cert(true, NOW - 86_400, NOW + 400 * 86_400);
        assert_eq!(
            analyze_ca_pem(key.as_bytes(), NOW),
            Err(CaError::PrivateKey)
        );
        let both = format!("{pem}{key}");
        let e = analyze_ca_pem(both.as_bytes(), NOW).unwrap_err();
        assert_eq!(e, CaError::PrivateKey);
        let enc =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert_eq!(
            analyze_ca_pem(enc.as_bytes(), NOW),
            Err(CaError::PrivateKey)
        );
        assert_eq!(analyze_ca_pem(b"hello world\n", NOW), Err(CaError::NotPem));
        assert_eq!(analyze_ca_pem(b"", NOW), Err(CaError::NotPem));
        let bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(
            analyze_ca_pem(bad.as_bytes(), NOW),
            Err(CaError::BadCertificate(1))
        );
        let b64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            analyze_ca_pem(b64.as_bytes(), NOW),
            Err(CaError::BadPem(_))
        ));
        let trunc = "-----BEGIN CERTIFICATE-----\nAAAA\n";
        assert!(matches!(
            analyze_ca_pem(trunc.as_bytes(), NOW),
            Err(CaError::BadPem(_))
        ));
        let csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
        assert!(matches!(
            analyze_ca_pem(csr.as_bytes(), NOW),
            Err(CaError::NoCertificate(_))
        ));
        // OpenSSL's TRUSTED CERTIFICATE blocks are skipped by Go's AppendCertsFromPEM too
        let trusted = pem
            .replace("BEGIN CERTIFICATE", "BEGIN TRUSTED CERTIFICATE")
            .replace("END CERTIFICATE", "END TRUSTED CERTIFICATE");
        assert_eq!(
            analyze_ca_pem(trusted.as_bytes(), NOW),
            Err(CaError::NoCertificate("TRUSTED CERTIFICATE".into()))
        );
        // CRLF line endings are fine
        let crlf = pem.replace('\n', "\r\n");
        assert_eq!(analyze_ca_pem(crlf.as_bytes(), NOW).unwrap().certs.len(), 1);
        // DER
        let der: Vec<u8> = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
            .unwrap()
            .to_vec();
        assert_eq!(analyze_ca_pem(&der, NOW), Err(CaError::Der));
    }

    #[test]
    fn dates() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
    }
}
