//! sha256 digests: the identity of wheels, user code and PEX files, and the keys of the cache.

use std::fmt;
use std::io;

use sha2::{Digest as _, Sha256};

/// A sha256 digest, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// Returns the digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Parses 64 hex digits (either case), and nothing else (no sign, no space).
    pub fn from_hex(hex: &str) -> Option<Self> {
        // `from_str_radix` alone would take a leading `+`.
        if hex.len() != 64 || !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
        }
        Some(Self(bytes))
    }

    /// Parses the one spelling pex-rs writes and its boot code accepts: 64 lowercase hex digits.
    /// A digest that names a directory (`installed_wheels/v1/<digest>`) must be in this form, so
    /// the Rust installer and the boot code agree on every name.
    pub(crate) fn from_canonical(text: &str) -> Option<Self> {
        Self::from_hex(text).filter(|_| !text.bytes().any(|byte| byte.is_ascii_uppercase()))
    }

    /// The 32 bytes of the digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{self}")
    }
}

/// An incremental sha256; also an [`io::Write`] sink so `io::copy` can feed it.
#[derive(Default)]
pub(crate) struct Hasher(Sha256);

impl Hasher {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub(crate) fn finish(self) -> Sha256Digest {
        Sha256Digest(self.0.finalize().into())
    }
}

impl io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Decodes the unpadded urlsafe base64 that wheel RECORD files use (PEP 376, PEP 427).
pub(crate) fn decode_urlsafe_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for character in text.bytes() {
        let value = match character {
            b'A'..=b'Z' => character - b'A',
            b'a'..=b'z' => character - b'a' + 26,
            b'0'..=b'9' => character - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        // Only the low 14 bits matter: at most 6 new bits on top of fewer than 8 pending ones.
        buffer = ((buffer << 6) | u32::from(value)) & 0x3fff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::{Sha256Digest, decode_urlsafe_base64};

    #[test]
    fn ok_hex_round_trip() {
        let digest = Sha256Digest::of(b"");
        let hex = digest.to_string();
        assert_eq!(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(Sha256Digest::from_hex(&hex), Some(digest));
        assert_eq!(Sha256Digest::from_hex(&hex.to_uppercase()), Some(digest));
    }

    #[test]
    fn ok_record_base64() {
        // RECORD form of sha256(""), as pip writes it.
        let digest = decode_urlsafe_base64("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU").unwrap();
        assert_eq!(digest, Sha256Digest::of(b"").as_bytes());
    }

    #[test]
    fn err_signs_and_uppercase() {
        let signed = format!("+{}", &"0".repeat(63));
        assert_eq!(Sha256Digest::from_hex(&signed), None, "from_str_radix would take `+0`");
        let mixed = format!("+f{}", &"0".repeat(62));
        assert_eq!(Sha256Digest::from_hex(&mixed), None);
        let upper = "E".repeat(64);
        assert!(Sha256Digest::from_hex(&upper).is_some());
        assert_eq!(Sha256Digest::from_canonical(&upper), None, "a directory name is lowercase, as boot reads it");
        assert!(Sha256Digest::from_canonical(&"e".repeat(64)).is_some());
    }

    #[test]
    fn err_bad_digests() {
        assert_eq!(Sha256Digest::from_hex("abc"), None);
        assert_eq!(Sha256Digest::from_hex(&"g".repeat(64)), None);
        assert_eq!(decode_urlsafe_base64("!!!"), None);
    }
}
