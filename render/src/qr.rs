//! QR codes of check-in codes, drawn two ways from one matrix: inline SVG for pages (their CSP allows no
//! `data:` images) and PNG for e-mails (several common mail clients show no SVG). Medium error correction
//! and the standard four-module quiet zone, as the generator's posters, so ordinary phones and the door's
//! camera read them. The PNG is written here (greyscale, 1 bit, stored deflate): a few hundred bytes of
//! code instead of an image crate in the mailer's package.

use qrcode::{Color, EcLevel, QrCode};

/// Modules of white around the code, as the QR standard asks.
const QUIET_ZONE: usize = 4;

/// The code's modules, dark or light, row by row, with the quiet zone: (width, modules).
fn modules(text: &str) -> Option<(usize, Vec<bool>)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let inner = code.width();
    let width = inner + 2 * QUIET_ZONE;
    let colors = code.to_colors();
    let mut dark = vec![false; width * width];
    for y in 0..inner {
        for x in 0..inner {
            dark[(y + QUIET_ZONE) * width + x + QUIET_ZONE] = colors[y * inner + x] == Color::Dark;
        }
    }
    Some((width, dark))
}

/// An inline `<svg>` (no XML declaration) that scales to its box; `label` is what a screen reader says.
pub fn svg(text: &str, label: &str) -> Option<String> {
    use std::fmt::Write as _;
    let (width, dark) = modules(text)?;
    let mut path = String::with_capacity(dark.len() * 6);
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let _ = write!(path, "M{},{}h1v1h-1z", i % width, i / width);
    }
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {width}" role="img" aria-label="{}" shape-rendering="crispEdges"><rect width="{width}" height="{width}" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##,
        crate::escape_attr(label)
    ))
}

/// A PNG of the code, `scale` pixels per module (black on white, 1-bit greyscale).
pub fn png(text: &str, scale: usize) -> Option<Vec<u8>> {
    let (width, dark) = modules(text)?;
    let scale = scale.max(1);
    let pixels = width * scale;
    let row_bytes = pixels.div_ceil(8);
    // Each row: filter type 0, then the bits (1 = white in greyscale); a module row is `scale` equal rows.
    let mut raw = Vec::with_capacity((row_bytes + 1) * pixels);
    for modules_row in dark.chunks(width) {
        let mut row = vec![0u8; row_bytes + 1];
        for x in 0..pixels {
            if !modules_row[x / scale] {
                row[1 + x / 8] |= 0x80 >> (x % 8);
            }
        }
        for _ in 0..scale {
            raw.extend_from_slice(&row);
        }
    }
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&(pixels as u32).to_be_bytes());
    header.extend_from_slice(&(pixels as u32).to_be_bytes());
    header.extend_from_slice(&[1, 0, 0, 0, 0]); // 1 bit, greyscale, deflate, filter 0, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    Some(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of stored (uncompressed) deflate blocks: valid for every reader, and these images are small.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(0xffff).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in data {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// CRC-32 (IEEE) by table: the PNG's chunks are a few kilobytes.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in data {
        crc = CRC_TABLE[((crc ^ u32::from(*byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_adler_match_known_values() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        let z = zlib_stored(b"Wikipedia");
        assert_eq!(&z[z.len() - 4..], &0x11e6_0398u32.to_be_bytes());
    }

    #[test]
    fn a_png_has_its_size_and_chunks() {
        let png = png("ABCDEFGHJKLMN", 8).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // Version 1 (21 modules) plus the quiet zone, 8 pixels each.
        let side = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(side, (21 + 8) * 8);
        assert!(png.windows(4).any(|w| w == b"IEND"));
    }

    #[test]
    fn an_svg_is_labelled_and_inline() {
        let svg = svg("ABCDEFGHJKLMN", "Toegangscode \"x\"").unwrap();
        assert!(svg.starts_with("<svg") && !svg.contains("<?xml"));
        assert!(svg.contains(r#"aria-label="Toegangscode &quot;x&quot;""#));
        assert!(svg.contains(r#"viewBox="0 0 29 29""#));
    }
}
