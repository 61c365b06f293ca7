//! QR codes as SVG: medium error correction and the standard four-module quiet zone, so ordinary phones scan them.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::error::Problem;
use opp_model::text;

pub fn svg_for(url: &str) -> Result<String, Problem> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|err| Problem::new(text!(site::NO_QR, url = url, err = err)))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    #[test]
    fn makes_an_svg() {
        let svg = super::svg_for("https://example.nl/bijeenkomsten/zwolle/").unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.contains("<path"));
    }
}
