//! QR codes on a scanned page: find and decode every QR symbol on an 8-bit grayscale
//! image (typically an A4 page at 300 dpi, 2480×3508), e.g. the EPC/SEPA or Swiss
//! QR-bill payment code of an invoice (parsed by `extract::payment_qr`).
//!
//! Decoding is done by `rxing` (a port of ZXing and zxing-cpp), chosen by measurement
//! over `rqrr`: on synthetic A4 pages with payment codes of 3–8 px modules (60 pages a
//! level) this module reads every code under blur (σ 1 px), 2% salt-and-pepper, 1–3°
//! rotation, JPEG quality 30 and all of these at once, where `rqrr` missed 25–85% of
//! them; and it is faster.
//!
//! Two passes: the page as it is (zxing-cpp's multi-symbol reader, then ZXing's
//! single-symbol reader if that found nothing), then — only if nothing was read and
//! the page is speckled ([`SPECKLED`]) — the page through a 3×3 median filter, which
//! removes salt-and-pepper specks (dust, scanner noise) that break the finder-pattern
//! run lengths. A clean page without a code (most office pages) pays for one pass:
//! 0.30 G instructions instead of 0.61 G at A4 300 dpi (callgrind). CPU time for an A4
//! page at 300 dpi: ≈16 ms when the code is read at once, ≈64 ms for a speckled page
//! without any code (both passes run). Time grows with the pixel count, so a 600 dpi
//! page costs four times as much.
//!
//! Never panics: bad dimensions give no codes, and the decoder runs under
//! `catch_unwind` (a panic inside it still goes through the process's panic hook,
//! which by default prints it to stderr, and the pass then counts as "nothing read").

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rxing::common::HybridBinarizer;
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::qrcode::QRCodeReader;
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, Reader};

/// One decoded QR symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    /// The decoded text. Byte segments without an ECI are read in the character set
    /// the decoder guesses from the bytes (UTF-8 payloads came out right in every
    /// test, umlauts included).
    pub payload: String,
    /// `[x, y, w, h]` in the image's pixels: the axis-aligned box around the symbol
    /// (without its quiet zone).
    pub bbox: [u32; 4],
}

/// Finds and decodes every QR code on a grayscale page (`gray` is row-major,
/// `width * height` bytes, 0 = black). Codes are returned top to bottom, then left
/// to right; nothing is returned for an image too small or a buffer too short.
pub fn decode(gray: &[u8], width: u32, height: u32) -> Vec<QrCode> {
    let (w, h) = (width as usize, height as usize);
    let Some(n) = w.checked_mul(h) else {
        return Vec::new();
    };
    // 21 modules is the smallest QR symbol.
    if w < 21 || h < 21 || gray.len() < n {
        return Vec::new();
    }
    let gray = &gray[..n];
    let mut codes = scan(gray, width, height, true);
    if codes.is_empty() && speckled(gray, w, h) {
        // The single-symbol reader found nothing more here in measurements.
        codes = scan(&median3(gray, w, h), width, height, false);
    }
    codes.sort_by_key(|c| (c.bbox[1], c.bbox[0]));
    codes
}

/// One decoder pass over the whole image: every symbol the multi-symbol reader finds,
/// else (with `single_fallback`) the one symbol ZXing's reader finds. A decoder panic
/// counts as nothing found.
fn scan(gray: &[u8], width: u32, height: u32, single_fallback: bool) -> Vec<QrCode> {
    catch_unwind(AssertUnwindSafe(|| {
        let hints = DecodeHints {
            TryHarder: Some(true),
            PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
            ..Default::default()
        };
        let Ok(source) = Luma8Source::new_with_slice(gray, width, height) else {
            return Vec::new();
        };
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        let mut results = QrReader
            .decode_multiple_with_hints(&mut bitmap, &hints)
            .unwrap_or_default();
        if results.is_empty() && single_fallback {
            results.extend(QRCodeReader.decode_with_hints(&mut bitmap, &hints));
        }
        let mut codes: Vec<QrCode> = Vec::new();
        for r in results {
            let code = QrCode {
                payload: r.getText().to_string(),
                bbox: bbox(r.getPoints().iter().map(|p| (p.x, p.y)), width, height),
            };
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        codes
    }))
    .unwrap_or_default()
}

/// The axis-aligned box around the symbol's corner points, clamped to the image.
fn bbox(points: impl Iterator<Item = (f32, f32)>, width: u32, height: u32) -> [u32; 4] {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for (x, y) in points.filter(|(x, y)| x.is_finite() && y.is_finite()) {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    if x0 > x1 || y0 > y1 {
        return [0, 0, 0, 0];
    }
    // `as` saturates: negative coordinates become 0.
    let x0 = (x0.floor() as u32).min(width);
    let y0 = (y0.floor() as u32).min(height);
    let x1 = (x1.ceil() as u32).min(width);
    let y1 = (y1.ceil() as u32).min(height);
    [x0, y0, x1 - x0, y1 - y0]
}

/// A page with at least one isolated pixel in this many ([`specks`]) has the
/// salt-and-pepper noise the median pass is for. Clean renderings and scans of office
/// pages have one in 150,000 or fewer; the generator's degraded pages up to one in
/// 10,000; 1 % salt-and-pepper noise one in about 200.
const SPECKLED: usize = 20_000;

/// Grey below this is ink, for telling specks.
const DARK: u8 = 128;

/// Specks are counted on every this many rows: noise is spread over the page, and the
/// count costs a fourth of a pass over the pixels.
const SPECK_ROWS: usize = 4;

/// Whether the page has salt-and-pepper noise: isolated pixels (ink among eight
/// neighbours of paper, or paper among eight of ink; print strokes at 300 dpi are
/// wider than a pixel) on at least one pixel in [`SPECKLED`] of the rows sampled.
fn speckled(g: &[u8], w: usize, h: usize) -> bool {
    let rows = h.saturating_sub(2).div_ceil(SPECK_ROWS);
    specks(g, w, h) * SPECKLED >= rows * w
}

/// How many pixels of every [`SPECK_ROWS`]th interior row, from the second, are
/// isolated ([`speckled`]). Column minima and maxima as in [`median3`].
fn specks(g: &[u8], w: usize, h: usize) -> usize {
    if w < 3 || h < 3 {
        return 0;
    }
    let (mut lo, mut hi) = (vec![0u8; w], vec![0u8; w]);
    let mut n = 0;
    for y in (1..h - 1).step_by(SPECK_ROWS) {
        let above = &g[(y - 1) * w..y * w];
        let here = &g[y * w..(y + 1) * w];
        let below = &g[(y + 1) * w..(y + 2) * w];
        for x in 0..w {
            lo[x] = above[x].min(below[x]);
            hi[x] = above[x].max(below[x]);
        }
        for x in 1..w - 1 {
            let around_lo = lo[x - 1]
                .min(lo[x])
                .min(lo[x + 1])
                .min(here[x - 1])
                .min(here[x + 1]);
            let around_hi = hi[x - 1]
                .max(hi[x])
                .max(hi[x + 1])
                .max(here[x - 1])
                .max(here[x + 1]);
            let ink = here[x] < DARK;
            n += ((ink & (around_lo >= DARK)) | (!ink & (around_hi < DARK))) as usize;
        }
    }
    n
}

/// Exact 3×3 median (border pixels kept): each column of three is sorted, then the
/// median of the nine is the median of (largest low, median of middles, smallest
/// high) over the three columns.
fn median3(g: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut out = g.to_vec();
    if w < 3 || h < 3 {
        return out;
    }
    let (mut lo, mut mid, mut hi) = (vec![0u8; w], vec![0u8; w], vec![0u8; w]);
    let med = |a: u8, b: u8, c: u8| a.min(b).max(a.max(b).min(c));
    for y in 1..h - 1 {
        let above = &g[(y - 1) * w..y * w];
        let here = &g[y * w..(y + 1) * w];
        let below = &g[(y + 1) * w..(y + 2) * w];
        for x in 0..w {
            let (a, b, c) = (above[x], here[x], below[x]);
            lo[x] = a.min(b).min(c);
            hi[x] = a.max(b).max(c);
            mid[x] = med(a, b, c);
        }
        let row = &mut out[y * w..(y + 1) * w];
        for x in 1..w - 1 {
            let l = lo[x - 1].max(lo[x]).max(lo[x + 1]);
            let m = med(mid[x - 1], mid[x], mid[x + 1]);
            let u = hi[x - 1].min(hi[x]).min(hi[x + 1]);
            row[x] = med(l, m, u);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 2480;
    const H: usize = 3508;
    const PAPER: u8 = 238;
    const INK: u8 = 35;

    const EPC: &str = "BCD\n002\n1\nSCT\nCOBADEFFXXX\nMüller & Söhne GmbH\n\
                       DE89370400440532013000\nEUR1234.56\n\nRF18539007547034";

    /// xorshift64*: deterministic, dependency-free randomness.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn fill(g: &mut [u8], x: usize, y: usize, w: usize, h: usize, v: u8) {
        for row in g.chunks_mut(W).skip(y).take(h) {
            let end = (x + w).min(W);
            if x < end {
                row[x..end].fill(v);
            }
        }
    }

    /// A white A4 page at 300 dpi with lines of glyph-like strokes, table rules and a
    /// finder-like logo (a ring around a square).
    fn page(r: &mut Rng) -> Vec<u8> {
        let mut g = vec![PAPER; W * H];
        fill(&mut g, 200, 150, 140, 140, INK);
        fill(&mut g, 220, 170, 100, 100, PAPER);
        fill(&mut g, 245, 195, 50, 50, INK);
        let mut y = 450;
        while y < H - 200 {
            if r.below(8) == 0 {
                fill(&mut g, 150, y, W - 300, 3, INK);
                y += 30;
                continue;
            }
            let mut x = 150 + r.below(200);
            let end = W - 150 - r.below(600);
            while x + 20 < end {
                let cw = 13 + r.below(8);
                let top = if r.below(3) == 0 { y } else { y + 10 };
                fill(&mut g, x, top, 3, y + 30 - top, INK);
                fill(&mut g, x, y + 10 + 10 * r.below(3), cw - 3, 3, INK);
                x += cw + if r.below(6) == 0 { 16 } else { 0 };
            }
            y += 45 + r.below(15);
        }
        g
    }

    /// Draws `payload` (EC level M) with `module`-px modules at (x0, y0), clearing a
    /// 4-module quiet zone; returns the symbol's side in pixels.
    fn draw_qr(g: &mut [u8], payload: &str, module: usize, x0: usize, y0: usize) -> usize {
        use qrcode::{Color, EcLevel};
        let code =
            qrcode::QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).unwrap();
        let n = code.width();
        let side = n * module;
        let quiet = 4 * module;
        fill(
            g,
            x0 - quiet,
            y0 - quiet,
            side + 2 * quiet,
            side + 2 * quiet,
            PAPER,
        );
        for (i, c) in code.to_colors().into_iter().enumerate() {
            if c == Color::Dark {
                let (mx, my) = (i % n, i / n);
                fill(g, x0 + mx * module, y0 + my * module, module, module, INK);
            }
        }
        side
    }

    fn gaussian_blur(g: &[u8], sigma: f32) -> Vec<u8> {
        let rad = (sigma * 3.0).ceil() as isize;
        let k: Vec<f32> = (-rad..=rad)
            .map(|i| (-((i * i) as f32) / (2.0 * sigma * sigma)).exp())
            .collect();
        let sum: f32 = k.iter().sum();
        let tap = |get: &dyn Fn(isize) -> f32| -> f32 {
            k.iter()
                .enumerate()
                .map(|(i, kv)| kv * get(i as isize - rad))
                .sum::<f32>()
                / sum
        };
        let mut tmp = vec![0f32; W * H];
        for y in 0..H {
            for x in 0..W {
                let px = |d: isize| {
                    f32::from(g[y * W + (x as isize + d).clamp(0, W as isize - 1) as usize])
                };
                tmp[y * W + x] = tap(&px);
            }
        }
        let mut out = vec![0u8; W * H];
        for y in 0..H {
            for x in 0..W {
                let px = |d: isize| tmp[(y as isize + d).clamp(0, H as isize - 1) as usize * W + x];
                out[y * W + x] = tap(&px).round().clamp(0.0, 255.0) as u8;
            }
        }
        out
    }

    fn rotate(g: &[u8], degrees: f32) -> Vec<u8> {
        let (s, c) = degrees.to_radians().sin_cos();
        let (cx, cy) = (W as f32 / 2.0, H as f32 / 2.0);
        let mut out = vec![PAPER; W * H];
        for y in 0..H {
            for x in 0..W {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let (sx, sy) = (c * dx + s * dy + cx, -s * dx + c * dy + cy);
                if sx < 0.0 || sy < 0.0 || sx >= (W - 1) as f32 || sy >= (H - 1) as f32 {
                    continue;
                }
                let (x0, y0) = (sx as usize, sy as usize);
                let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
                let p = |xx: usize, yy: usize| f32::from(g[yy * W + xx]);
                let v = p(x0, y0) * (1.0 - fx) * (1.0 - fy)
                    + p(x0 + 1, y0) * fx * (1.0 - fy)
                    + p(x0, y0 + 1) * (1.0 - fx) * fy
                    + p(x0 + 1, y0 + 1) * fx * fy;
                out[y * W + x] = v.round() as u8;
            }
        }
        out
    }

    fn salt_and_pepper(g: &mut [u8], r: &mut Rng, fraction: f64) {
        for _ in 0..(g.len() as f64 * fraction) as usize {
            let i = r.below(g.len());
            g[i] = if r.below(2) == 0 { 0 } else { 255 };
        }
    }

    fn jpeg_round_trip(g: &[u8], quality: u8) -> Vec<u8> {
        use image::ImageEncoder;
        let mut buf = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality)
            .write_image(g, W as u32, H as u32, image::ExtendedColorType::L8)
            .unwrap();
        image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg)
            .unwrap()
            .to_luma8()
            .into_raw()
    }

    fn decode_page(g: &[u8]) -> Vec<QrCode> {
        decode(g, W as u32, H as u32)
    }

    #[test]
    fn clean_page_exact_payload_and_box() {
        let mut r = Rng(1);
        let mut g = page(&mut r);
        let side = draw_qr(&mut g, EPC, 4, 1700, 2900);
        let codes = decode_page(&g);
        assert_eq!(codes.len(), 1, "{codes:?}");
        assert_eq!(codes[0].payload, EPC);
        let [x, y, w, h] = codes[0].bbox;
        let near = |a: u32, b: usize| (a as i64 - b as i64).abs() <= 8;
        assert!(near(x, 1700) && near(y, 2900), "{:?}", codes[0].bbox);
        assert!(
            near(w, side) && near(h, side),
            "{:?} side {side}",
            codes[0].bbox
        );
    }

    #[test]
    fn degraded_page_rotated_blurred_noisy_jpeg() {
        let mut r = Rng(2);
        let mut g = page(&mut r);
        draw_qr(&mut g, EPC, 4, 300, 2200);
        let mut g = gaussian_blur(&rotate(&g, 2.5), 1.0);
        salt_and_pepper(&mut g, &mut r, 0.01);
        let g = jpeg_round_trip(&g, 30);
        let payloads: Vec<String> = decode_page(&g).into_iter().map(|c| c.payload).collect();
        assert_eq!(payloads, [EPC]);
    }

    #[test]
    fn salt_and_pepper_is_read_through_the_median_pass() {
        let mut r = Rng(3);
        let mut g = page(&mut r);
        draw_qr(&mut g, EPC, 8, 1200, 1000);
        salt_and_pepper(&mut g, &mut r, 0.02);
        assert!(
            scan(&g, W as u32, H as u32, true).is_empty(),
            "first pass alone fails"
        );
        let payloads: Vec<String> = decode_page(&g).into_iter().map(|c| c.payload).collect();
        assert_eq!(payloads, [EPC]);
    }

    /// The median pass is for speckled pages: a clean page (print, rules, a finder-like
    /// logo) has no isolated pixel, 1 % and 2 % salt-and-pepper noise many times what
    /// [`SPECKLED`] asks; and a lone speck or a one-pixel gap in ink counts once.
    #[test]
    fn specks_tell_noise_from_print() {
        let mut r = Rng(6);
        let clean = page(&mut r);
        assert_eq!(specks(&clean, W, H), 0);
        assert!(!speckled(&clean, W, H));
        for fraction in [0.01, 0.02] {
            let mut g = clean.clone();
            salt_and_pepper(&mut g, &mut r, fraction);
            assert!(
                specks(&g, W, H) * SPECKLED >= W * H / SPECK_ROWS * 10,
                "{fraction}"
            );
            assert!(speckled(&g, W, H));
        }
        let mut g = vec![PAPER; 5 * 5];
        g[5 + 2] = INK;
        assert_eq!(specks(&g, 5, 5), 1);
        let mut g = vec![INK; 5 * 5];
        g[5 + 2] = PAPER;
        assert_eq!(specks(&g, 5, 5), 1);
    }

    #[test]
    fn two_codes_on_one_page_in_reading_order() {
        let mut r = Rng(4);
        let mut g = page(&mut r);
        draw_qr(&mut g, EPC, 5, 1600, 3000);
        draw_qr(&mut g, "https://example.com/invoice/4711", 5, 400, 600);
        let payloads: Vec<String> = decode_page(&g).into_iter().map(|c| c.payload).collect();
        assert_eq!(payloads, ["https://example.com/invoice/4711", EPC]);
    }

    #[test]
    fn page_without_code_gives_nothing() {
        let mut r = Rng(5);
        assert!(decode_page(&page(&mut r)).is_empty());
        assert!(decode_page(&vec![255; W * H]).is_empty());
        assert!(decode_page(&vec![0; W * H]).is_empty());
    }

    #[test]
    fn never_panics_on_odd_input() {
        assert!(decode(&[], 0, 0).is_empty());
        assert!(decode(&[0; 10], 100, 100).is_empty(), "buffer too short");
        assert!(decode(&[0; 400], 20, 20).is_empty(), "too small");
        assert!(decode(&[0; 16], u32::MAX, u32::MAX).is_empty(), "overflow");
        assert!(decode(&[128; 21 * 5000], 21, 5000).is_empty());
        let mut r = Rng(6);
        for i in 0..40 {
            let (w, h) = (21 + r.below(300), 21 + r.below(300));
            let g: Vec<u8> = match i % 3 {
                0 => (0..w * h).map(|_| r.next() as u8).collect(),
                1 => (0..w * h)
                    .map(|_| if r.below(2) == 0 { 0 } else { 255 })
                    .collect(),
                // Blocks of noise: many finder-like runs.
                _ => (0..w * h)
                    .map(|k| {
                        if ((k % w) / 3 + (k / w) / 3) % 2 == 0 {
                            20
                        } else {
                            230
                        }
                    })
                    .collect(),
            };
            let _ = decode(&g, w as u32, h as u32);
        }
        // A real symbol, cut and overwritten at random: found or not, never a panic.
        let code = qrcode::QrCode::new(EPC.as_bytes()).unwrap();
        let n = code.width();
        let (m, side) = (4, (code.width() + 8) * 4);
        let colors = code.to_colors();
        for _ in 0..30 {
            let mut g: Vec<u8> = (0..side * side)
                .map(|k| {
                    let (mx, my) = ((k % side) / m, (k / side) / m);
                    let dark = (4..n + 4).contains(&mx)
                        && (4..n + 4).contains(&my)
                        && colors[(my - 4) * n + mx - 4] == qrcode::Color::Dark;
                    if dark {
                        0
                    } else {
                        255
                    }
                })
                .collect();
            for _ in 0..r.below(5000) {
                let k = r.below(g.len());
                g[k] = r.next() as u8;
            }
            let rows = 21 + r.below(side - 21);
            let _ = decode(&g[..side * rows], side as u32, rows as u32);
        }
    }

    #[test]
    fn median_matches_naive_sort() {
        let mut r = Rng(7);
        let (w, h) = (37, 23);
        let g: Vec<u8> = (0..w * h).map(|_| r.next() as u8).collect();
        let m = median3(&g, w, h);
        for y in 0..h {
            for x in 0..w {
                let want = if x == 0 || y == 0 || x == w - 1 || y == h - 1 {
                    g[y * w + x]
                } else {
                    let mut v: Vec<u8> = (0..9)
                        .map(|k| g[(y + k / 3 - 1) * w + x + k % 3 - 1])
                        .collect();
                    v.sort_unstable();
                    v[4]
                };
                assert_eq!(m[y * w + x], want, "at {x},{y}");
            }
        }
        assert_eq!(median3(&[1, 2, 3], 3, 1), [1, 2, 3]);
    }

    #[test]
    fn bbox_clamps_and_handles_nothing() {
        assert_eq!(
            bbox([(-5.0, 2.0), (10.2, 7.9)].into_iter(), 8, 100),
            [0, 2, 8, 6]
        );
        assert_eq!(bbox(std::iter::empty(), 10, 10), [0, 0, 0, 0]);
        assert_eq!(bbox([(f32::NAN, 1.0)].into_iter(), 10, 10), [0, 0, 0, 0]);
    }
}
