//! Decode a document's bytes into page images, one page at a time.
//!
//! PNG and JPEG are decoded by the `image` crate (pure Rust: a corrupt file is an
//! error, never a crash); TIFF, including multi-page and 1-bit CCITT G4 scanner output,
//! by Leptonica. Sizes are checked from the header before any pixel is decoded, so a
//! 35000×35000 scan is refused without allocating gigabytes.

use std::io::Cursor;

use super::{Pix, TextError};
use crate::config::Limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Png,
    Jpeg,
    Tiff,
    /// Read by [`super::pdf`], page by page, not decoded here.
    Pdf,
}

impl MediaType {
    /// Recognise a file by its first bytes (extensions lie; scanners name files oddly).
    pub fn sniff(data: &[u8]) -> Option<MediaType> {
        if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaType::Png)
        } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if data.starts_with(b"II*\0") || data.starts_with(b"MM\0*") {
            Some(MediaType::Tiff)
        } else if super::pdf::looks_like_pdf(data) {
            Some(MediaType::Pdf)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Tiff => "image/tiff",
            MediaType::Pdf => "application/pdf",
        }
    }
}

/// A short human description of what a file that is not a supported type looks like.
pub fn describe_unknown(data: &[u8]) -> String {
    if data.is_empty() {
        return "empty file".into();
    }
    let head: String = data
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    format!("not PDF, PNG, JPEG, TIFF, XML or email; starts with {head}")
}

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
        limits: *limits,
        next: 0,
    })
}

impl Pages<'_> {
    pub fn next_page(&mut self) -> Result<Option<Pix>, TextError> {
        let n = self.next;
        let page = match self.media {
            MediaType::Png | MediaType::Jpeg if n > 0 => None,
            MediaType::Png | MediaType::Jpeg => Some(self.decode_raster()?),
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
        let reader = || {
            image::ImageReader::new(Cursor::new(self.data))
                .with_guessed_format()
                .map_err(|e| TextError::Corrupt(e.to_string()))
        };
        let (w, h) = reader()?
            .into_dimensions()
            .map_err(|e| TextError::Corrupt(e.to_string()))?;
        self.check_pixels(w, h)?;
        let mut r = reader()?;
        let mut lim = image::Limits::default();
        // RGBA8 of the page plus slack for the decoder's buffers.
        lim.max_alloc = Some(self.limits.max_pixels * 4 + (64 << 20));
        r.limits(lim);
        let img = r.decode().map_err(|e| TextError::Corrupt(e.to_string()))?;
        let gray = img.to_luma8();
        Pix::from_gray(gray.width(), gray.height(), gray.as_raw()).map_err(TextError::Corrupt)
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
    fn sniffs_by_content() {
        assert_eq!(MediaType::sniff(&png(2, 2)), Some(MediaType::Png));
        assert_eq!(MediaType::sniff(b"II*\0rest"), Some(MediaType::Tiff));
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n"), Some(MediaType::Pdf));
        assert_eq!(MediaType::sniff(b"GIF89a.."), None);
        assert_eq!(
            describe_unknown(b"GIF89a"),
            "not PDF, PNG, JPEG, TIFF, XML or email; starts with 47 49 46 38 39 61"
        );
    }

    #[test]
    fn png_is_one_page() {
        let data = png(40, 30);
        let mut p = pages(&data, MediaType::Png, &limits()).unwrap();
        let pix = p.next_page().unwrap().unwrap();
        assert_eq!((pix.width(), pix.height(), pix.depth()), (40, 30, 8));
        assert!(p.next_page().unwrap().is_none());
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
