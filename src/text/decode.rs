//! Decode a document's bytes into page images, one page at a time.
//!
//! PNG, JPEG, WebP and BMP are decoded by the `image` crate (pure Rust: a corrupt file is an
//! error, never a crash); TIFF, including multi-page and 1-bit CCITT G4 scanner output,
//! by Leptonica. Sizes are checked from the header before any pixel is decoded, so a
//! 35000×35000 scan is refused without allocating gigabytes.
//!
//! The `image` crate drops the resolution a PNG or JPEG records, so it is read from the
//! bytes here ([`recorded_dpi`]: PNG `pHYs`, JPEG JFIF density or EXIF XResolution) and
//! set on the page: without it a 300 dpi till receipt 685 px wide is taken for an A4
//! page at 83 dpi and blown up 3×. Known failure modes: a file whose recorded value is
//! wrong (cameras write 72 whatever the scale; preprocessing treats 72 as unknown).

use std::io::Cursor;

use super::{Pix, TextError};
use crate::config::Limits;
use crate::document::input::MediaType;

/// Yields the pages of one document lazily, so a 50-page TIFF is never all in memory.
pub struct Pages<'a> {
    data: &'a [u8],
    media: MediaType,
    limits: Limits,
    next: u32,
}

pub fn pages<'a>(
    data: &'a [u8],
    media: MediaType,
    limits: &Limits,
) -> Result<Pages<'a>, TextError> {
    if data.len() as u64 > limits.max_file_bytes {
        return Err(TextError::TooLarge {
            size: data.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    Ok(Pages {
        data,
        media,
        limits: limits.clone(),
        next: 0,
    })
}

impl Pages<'_> {
    pub fn next_page(&mut self) -> Result<Option<Pix>, TextError> {
        let n = self.next;
        let page = match self.media {
            MediaType::Png | MediaType::Jpeg | MediaType::WebP | MediaType::Bmp if n > 0 => None,
            MediaType::Png | MediaType::Jpeg | MediaType::WebP | MediaType::Bmp => {
                Some(self.decode_raster()?)
            }
            MediaType::Tiff => self.decode_tiff_page(n)?,
            MediaType::Pdf => {
                return Err(TextError::Unsupported(
                    "a PDF is read page by page by text::pdf".into(),
                ))
            }
        };
        if page.is_some() {
            self.next += 1;
        }
        Ok(page)
    }

    fn check_pixels(&self, w: u32, h: u32) -> Result<(), TextError> {
        let pixels = w as u64 * h as u64;
        if pixels > self.limits.max_pixels {
            return Err(TextError::PageTooLarge {
                page: self.next + 1,
                pixels,
                limit: self.limits.max_pixels,
            });
        }
        Ok(())
    }

    fn decode_raster(&self) -> Result<Pix, TextError> {
        let format = image_format(self.media).ok_or_else(|| {
            TextError::Unsupported(format!("{} is not decoded as a raster", self.media.mime()))
        })?;
        let reader = || image::ImageReader::with_format(Cursor::new(self.data), format);
        let (w, h) = reader()
            .into_dimensions()
            .map_err(|e| TextError::Corrupt(e.to_string()))?;
        self.check_pixels(w, h)?;
        let mut r = reader();
        let mut lim = image::Limits::default();
        // RGBA8 of the page plus slack for the decoder's buffers.
        lim.max_alloc = Some(self.limits.max_pixels * 4 + (64 << 20));
        r.limits(lim);
        let img = r.decode().map_err(|e| TextError::Corrupt(e.to_string()))?;
        let mut pix = to_pix(img).map_err(TextError::Corrupt)?;
        if let Some(dpi) = recorded_dpi(self.data, self.media) {
            pix.set_resolution(dpi);
        }
        Ok(pix)
    }

    fn decode_tiff_page(&self, n: u32) -> Result<Option<Pix>, TextError> {
        if n >= self.limits.max_pages {
            // One past the limit: is there such a page?
            return match Pix::tiff_page_size(self.data, n) {
                Some(_) => Err(TextError::TooManyPages {
                    limit: self.limits.max_pages,
                }),
                None => Ok(None),
            };
        }
        let Some((w, h)) = Pix::tiff_page_size(self.data, n) else {
            return if n == 0 {
                Err(TextError::Corrupt("TIFF header cannot be read".into()))
            } else {
                Ok(None)
            };
        };
        self.check_pixels(w, h)?;
        match Pix::read_tiff_page(self.data, n) {
            Some(pix) => Ok(Some(pix)),
            None => Err(TextError::Corrupt(format!(
                "TIFF page {} cannot be decoded",
                n + 1
            ))),
        }
    }
}

/// The `image` crate's name for a raster type that was sniffed already, so the decoder
/// does not guess it from the bytes again.
/// TIFF (Leptonica) and PDF (`text::pdf`) are read elsewhere.
/// A decoded image as an 8-bit grey PIX. A grey page (most scans) is taken as
/// decoded; an 8-bit colour one (pages rendered from PDFs mostly come as RGB) through
/// [`to_luma`]; other kinds through the `image` crate's own conversion.
pub(crate) fn to_pix(img: image::DynamicImage) -> Result<Pix, String> {
    use image::DynamicImage::{ImageLuma8, ImageRgb8, ImageRgba8};
    let gray = match img {
        ImageLuma8(gray) => gray,
        ImageRgb8(rgb) => to_luma(&rgb),
        ImageRgba8(rgba) => to_luma(&rgba),
        img => img.into_luma8(),
    };
    Pix::from_gray(gray.width(), gray.height(), gray.as_raw())
}

/// An 8-bit colour image in grey, pixel for pixel as the `image` crate's `to_luma8`
/// makes it (its colour-managed conversion in the image's colour space, which the
/// pages were read through before and calibration was fitted on), but cheaply where
/// the page is grey already: a pixel whose red, green and blue agree (and that is
/// opaque) is looked up in a table the crate filled for the 256 such values; only the
/// others go through the crate. A clean scan stored as RGB costs the crate's
/// conversion nothing then (0.45 G instructions on an A4 page at 300 dpi, callgrind).
fn to_luma<P>(img: &image::ImageBuffer<P, Vec<u8>>) -> image::GrayImage
where
    P: image::Pixel<Subpixel = u8>,
    image::ImageBuffer<P, Vec<u8>>: Clone,
    image::DynamicImage: From<image::ImageBuffer<P, Vec<u8>>>,
{
    let n = P::CHANNEL_COUNT as usize;
    // One image of the same kind and colour space as `img` from raw channels, in grey.
    let crate_luma = |raw: Vec<u8>| {
        let len = (raw.len() / n) as u32;
        let mut part =
            image::ImageBuffer::<P, Vec<u8>>::from_raw(len, 1, raw).expect("whole pixels");
        // The same colour space as the page (a supported one, as the page has it).
        let _ = part.set_color_space(img.color_space());
        image::DynamicImage::from(part).into_luma8().into_raw()
    };
    let grey_pixel = |v: u8| {
        let mut px = vec![v; n];
        if n == 4 {
            px[3] = 255;
        }
        px
    };
    let table = crate_luma((0..=255u8).flat_map(grey_pixel).collect());
    let is_grey = |px: &[u8]| (px[0] == px[1]) & (px[1] == px[2]) & (n == 3 || px[3] == 255);
    // One pass over the pixels: grey ones looked up, the others' channels gathered
    // (with where they go) for one call of the crate's conversion. A run of pixels
    // found all grey first (most of any page) is looked up without a test per pixel.
    const RUN: usize = 64;
    let raw = img.as_raw();
    let (mut others, mut gathered) = (Vec::new(), Vec::new());
    let mut out = vec![0u8; raw.len() / n];
    for (r, (dst, src)) in out.chunks_mut(RUN).zip(raw.chunks(RUN * n)).enumerate() {
        if src.chunks_exact(n).fold(true, |all, px| all & is_grey(px)) {
            for (o, px) in dst.iter_mut().zip(src.chunks_exact(n)) {
                *o = table[px[0] as usize];
            }
            continue;
        }
        for (j, (o, px)) in dst.iter_mut().zip(src.chunks_exact(n)).enumerate() {
            if is_grey(px) {
                *o = table[px[0] as usize];
            } else {
                others.push(r * RUN + j);
                gathered.extend_from_slice(px);
            }
        }
    }
    if !others.is_empty() {
        for (&i, v) in others.iter().zip(crate_luma(gathered)) {
            out[i] = v;
        }
    }
    image::GrayImage::from_raw(img.width(), img.height(), out).expect("one byte a pixel")
}

fn image_format(media: MediaType) -> Option<image::ImageFormat> {
    match media {
        MediaType::Png => Some(image::ImageFormat::Png),
        MediaType::Jpeg => Some(image::ImageFormat::Jpeg),
        MediaType::WebP => Some(image::ImageFormat::WebP),
        MediaType::Bmp => Some(image::ImageFormat::Bmp),
        MediaType::Tiff | MediaType::Pdf => None,
    }
}

/// The horizontal resolution a PNG or JPEG file records, in dots per inch, when it
/// records one in absolute units (PNG `pHYs` in pixels per metre; JPEG JFIF density in
/// dpi or dots per cm, else EXIF XResolution with its unit). `None` for aspect-only
/// values, other formats, or damaged headers: never an error, the width estimate stands.
pub fn recorded_dpi(data: &[u8], media: MediaType) -> Option<u32> {
    let dpi = match media {
        MediaType::Png => png_dpi(data),
        MediaType::Jpeg => jpeg_dpi(data),
        // BITMAPINFOHEADER's horizontal resolution, in pixels per metre.
        MediaType::Bmp => data
            .get(38..42)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64 * 0.0254)
            .filter(|d| *d > 0.0),
        _ => None,
    }?;
    (1.0..=100_000.0).contains(&dpi).then(|| dpi.round() as u32)
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?) as u32)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// PNG: the `pHYs` chunk (before the first `IDAT`), unit 1 = metre.
fn png_dpi(data: &[u8]) -> Option<f64> {
    let mut at = 8;
    loop {
        let len = be32(data, at)? as usize;
        let kind = data.get(at + 4..at + 8)?;
        match kind {
            b"pHYs" => {
                let body = data.get(at + 8..at + 8 + len.min(9))?;
                let ppu = be32(body, 0)?;
                return (body.get(8) == Some(&1)).then_some(ppu as f64 * 0.0254);
            }
            b"IDAT" | b"IEND" => return None,
            _ => at = at.checked_add(12 + len)?,
        }
    }
}

/// JPEG: JFIF density when its unit is absolute, else EXIF XResolution; segments are
/// walked up to the start of scan.
fn jpeg_dpi(data: &[u8]) -> Option<f64> {
    let mut at = 2;
    let mut exif = None;
    while *data.get(at)? == 0xFF {
        let marker = *data.get(at + 1)?;
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        let len = be16(data, at + 2)? as usize;
        let body = data.get(at + 4..at + 2 + len.max(2))?;
        if marker == 0xE0 && body.starts_with(b"JFIF\0") && body.len() >= 12 {
            let density = be16(body, 8)? as f64;
            match body[7] {
                1 => return Some(density),
                2 => return Some(density * 2.54),
                _ => {}
            }
        } else if marker == 0xE1 && body.starts_with(b"Exif\0\0") && exif.is_none() {
            exif = exif_dpi(&body[6..]);
        }
        at += 2 + len;
    }
    exif
}

/// XResolution (tag 0x011A, a rational) and ResolutionUnit (0x0128; 2 inch, the
/// default, 3 cm) from IFD0 of an EXIF TIFF block.
fn exif_dpi(tiff: &[u8]) -> Option<f64> {
    let le = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u32> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        } as u32)
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let ifd = u32_at(4)? as usize;
    let entries = u16_at(ifd)? as usize;
    let (mut res, mut unit) = (None, 2);
    for i in 0..entries.min(256) {
        let e = ifd + 2 + 12 * i;
        match u16_at(e)? {
            0x011A => {
                let off = u32_at(e + 8)? as usize;
                let (num, den) = (u32_at(off)?, u32_at(off + 4)?);
                res = (den > 0).then(|| num as f64 / den as f64);
            }
            0x0128 => unit = u16_at(e + 8)?,
            _ => {}
        }
    }
    match unit {
        2 => res,
        3 => res.map(|r| r * 2.54),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_file_bytes: 10 << 20,
            max_pages: 3,
            max_pixels: 4_000_000,
            ..Default::default()
        }
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::GrayImage::from_pixel(w, h, image::Luma([200]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn png_is_one_page() {
        let data = png(40, 30);
        let mut p = pages(&data, MediaType::Png, &limits()).unwrap();
        let pix = p.next_page().unwrap().unwrap();
        assert_eq!((pix.width(), pix.height(), pix.depth()), (40, 30, 8));
        assert!(p.next_page().unwrap().is_none());
    }

    /// Colour pages are turned grey on their way into the PIX, pixel for pixel as the
    /// `image` crate's `to_luma8` does (the conversion the pages were read through
    /// before, and calibration was fitted on): every grey value stored as colour (the
    /// first column), coloured pixels, a width that is no multiple of four, RGBA opaque
    /// and not.
    #[test]
    fn colour_pages_are_the_same_grey_as_the_image_crates() {
        let (w, h) = (13u32, 256u32);
        // Every third column grey (its channels alike), alpha opaque on every other row.
        let value = |x: u32, y: u32, c: u32| match (x % 3, c) {
            (0, 3) if y.is_multiple_of(2) => 255,
            (0, 0..=2) => ((y * 101 + x * 7) % 256) as u8,
            _ => ((x * 37 + y * 101 + c * 89 + x * y * c) % 256) as u8,
        };
        let rgb =
            image::RgbImage::from_fn(w, h, |x, y| image::Rgb([0, 1, 2].map(|c| value(x, y, c))));
        let rgba = image::RgbaImage::from_fn(w, h, |x, y| {
            image::Rgba([0, 1, 2, 3].map(|c| value(x, y, c)))
        });
        // And a colour page whose every pixel is grey (a scan of black print).
        let grey_rgb =
            image::RgbImage::from_fn(w, h, |x, y| image::Rgb([value(0, y, 0) ^ x as u8; 3]));
        for img in [image::DynamicImage::from(rgb), rgba.into(), grey_rgb.into()] {
            let mut data = Vec::new();
            img.write_to(&mut Cursor::new(&mut data), image::ImageFormat::Png)
                .unwrap();
            let pix = pages(&data, MediaType::Png, &limits())
                .unwrap()
                .next_page()
                .unwrap()
                .unwrap();
            assert_eq!((pix.width(), pix.height(), pix.depth()), (w, h, 8));
            assert_eq!(
                pix.gray_bytes().unwrap(),
                img.to_luma8().into_raw(),
                "{:?}",
                img.color()
            );
        }
        // A grey page stays as it was.
        let grey = image::GrayImage::from_fn(w, h, |x, y| image::Luma([value(x, y, 0)]));
        let pix = Pix::from_gray(w, h, grey.as_raw()).unwrap();
        assert_eq!(pix.gray_bytes().unwrap(), grey.into_raw());
    }

    /// A PNG with a `pHYs` chunk of `ppm` pixels per metre (unit `unit`) before IDAT.
    fn png_with_phys(ppm: u32, unit: u8) -> Vec<u8> {
        let plain = png(30, 20);
        let mut body = Vec::new();
        body.extend(ppm.to_be_bytes());
        body.extend(ppm.to_be_bytes());
        body.push(unit);
        let mut chunk = Vec::new();
        chunk.extend((body.len() as u32).to_be_bytes());
        chunk.extend(b"pHYs");
        chunk.extend(&body);
        chunk.extend([0u8; 4]); // CRC: not checked by the reader under test
                                // After the signature (8) and IHDR (8 + 13 + 4).
        let mut out = plain[..33].to_vec();
        out.extend(chunk);
        out.extend(&plain[33..]);
        out
    }

    fn jpeg_with_density(dpi: u16) -> Vec<u8> {
        let img = image::GrayImage::from_pixel(30, 20, image::Luma([200]));
        let mut out = Vec::new();
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
        enc.set_pixel_density(image::codecs::jpeg::PixelDensity::dpi(dpi));
        enc.encode_image(&img).unwrap();
        out
    }

    #[test]
    fn png_resolution_is_read_from_phys() {
        // 11811 px/m is how 300 dpi is written (118.11 px/cm).
        assert_eq!(
            recorded_dpi(&png_with_phys(11811, 1), MediaType::Png),
            Some(300)
        );
        assert_eq!(
            recorded_dpi(&png_with_phys(7874, 1), MediaType::Png),
            Some(200)
        );
        // Unit 0: an aspect ratio only, no resolution.
        assert_eq!(recorded_dpi(&png_with_phys(11811, 0), MediaType::Png), None);
        assert_eq!(recorded_dpi(&png(30, 20), MediaType::Png), None);
        // And it reaches the decoded page, which is what preprocessing reads.
        let data = png_with_phys(11811, 1);
        let pix = pages(&data, MediaType::Png, &limits())
            .unwrap()
            .next_page()
            .unwrap()
            .unwrap();
        assert_eq!(pix.x_resolution(), 300);
    }

    #[test]
    fn jpeg_resolution_is_read_from_jfif() {
        assert_eq!(
            recorded_dpi(&jpeg_with_density(300), MediaType::Jpeg),
            Some(300)
        );
        assert_eq!(
            recorded_dpi(&jpeg_with_density(72), MediaType::Jpeg),
            Some(72)
        );
        let data = jpeg_with_density(200);
        let pix = pages(&data, MediaType::Jpeg, &limits())
            .unwrap()
            .next_page()
            .unwrap()
            .unwrap();
        assert_eq!(pix.x_resolution(), 200);
        // A JFIF segment in dots per cm: 118 dpcm is 300 dpi (299.7, rounded).
        let mut cm = jpeg_with_density(300);
        let jfif = cm.windows(5).position(|w| w == b"JFIF\0").unwrap();
        cm[jfif + 7] = 2;
        cm[jfif + 8..jfif + 10].copy_from_slice(&118u16.to_be_bytes());
        assert_eq!(recorded_dpi(&cm, MediaType::Jpeg), Some(300));
    }

    #[test]
    fn jpeg_resolution_falls_back_to_exif() {
        // SOI, APP1 "Exif" with a little-endian IFD0 holding XResolution 254/1 and
        // ResolutionUnit 2 (inch), then EOI: no JFIF segment.
        let mut tiff = Vec::new();
        tiff.extend(b"II*\0");
        tiff.extend(8u32.to_le_bytes());
        tiff.extend(2u16.to_le_bytes());
        for (tag, kind, value) in [(0x011Au16, 5u16, 38u32), (0x0128, 3, 2)] {
            tiff.extend(tag.to_le_bytes());
            tiff.extend(kind.to_le_bytes());
            tiff.extend(1u32.to_le_bytes());
            tiff.extend(value.to_le_bytes());
        }
        tiff.extend(0u32.to_le_bytes());
        assert_eq!(tiff.len(), 38);
        tiff.extend(254u32.to_le_bytes());
        tiff.extend(1u32.to_le_bytes());
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(&tiff);
        let mut data = vec![0xFF, 0xD8, 0xFF, 0xE1];
        data.extend(((app1.len() + 2) as u16).to_be_bytes());
        data.extend(&app1);
        data.extend([0xFF, 0xD9]);
        assert_eq!(recorded_dpi(&data, MediaType::Jpeg), Some(254));
        // Damaged: the rational's offset points past the end.
        let cut = &data[..data.len() - 10];
        assert_eq!(recorded_dpi(cut, MediaType::Jpeg), None);
    }

    #[test]
    fn oversized_page_is_refused_before_decoding() {
        let data = png(3000, 2000);
        let mut p = pages(&data, MediaType::Png, &limits()).unwrap();
        assert!(matches!(p.next_page(), Err(TextError::PageTooLarge { .. })));
    }

    #[test]
    fn truncated_png_is_an_error_not_a_crash() {
        let data = png(100, 100);
        let cut = &data[..data.len() / 2];
        let mut p = pages(cut, MediaType::Png, &limits()).unwrap();
        assert!(matches!(p.next_page(), Err(TextError::Corrupt(_))));
    }

    #[test]
    fn multi_page_tiff() {
        // Two pages of different sizes, written by the `tiff` crate.
        let mut out = Cursor::new(Vec::new());
        {
            let mut enc = tiff::encoder::TiffEncoder::new(&mut out).unwrap();
            enc.write_image::<tiff::encoder::colortype::Gray8>(20, 10, &[255u8; 200])
                .unwrap();
            enc.write_image::<tiff::encoder::colortype::Gray8>(30, 15, &[0u8; 450])
                .unwrap();
        }
        let data = out.into_inner();
        let mut p = pages(&data, MediaType::Tiff, &limits()).unwrap();
        let a = p.next_page().unwrap().unwrap();
        let b = p.next_page().unwrap().unwrap();
        assert_eq!((a.width(), b.width()), (20, 30));
        assert!(p.next_page().unwrap().is_none());
    }
}
