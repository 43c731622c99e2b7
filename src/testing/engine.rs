//! One scriptable fake OCR engine for the tests that need an engine but not Tesseract.

use crate::text::{OcrEngine, Pix, TextError, Word};

/// What a strip or line read answers: the same words every time, or words worked out
/// from the image it is given (to tell one image from another, say an upright band from
/// a turned one).
type Answer = Box<dyn FnMut(&Pix) -> Vec<Word> + Send>;

/// A fake engine that answers from a script, whatever plain grey image it is given.
///
/// By default it reads nothing anywhere and has no opinion on orientation; each builder
/// scripts one kind of read:
/// - [`page_words`](Self::page_words): the page-wide pass (`recognize`) answers these words;
/// - [`second_look`](Self::second_look): line and strip reads (the second looks) answer these;
/// - [`strips_by`](Self::strips_by): strip reads answer what a function of the strip says;
/// - [`accented`](Self::accented): the accents model's line reads answer these;
/// - [`osd`](Self::osd): orientation detection answers these quarter turns and confidence.
///
/// It counts the strip and line reads it was asked for ([`strips_read`](Self::strips_read),
/// [`lines_read`](Self::lines_read), [`accented_read`](Self::accented_read)).
#[derive(Default)]
pub struct ScriptedEngine {
    page: Vec<Word>,
    lines: Option<Answer>,
    strips: Option<Answer>,
    accented: Option<Answer>,
    osd: Option<(u32, f32)>,
    strips_read: usize,
    lines_read: usize,
    accented_read: usize,
}

impl ScriptedEngine {
    /// An engine that reads nothing: no words, no orientation.
    pub fn new() -> Self {
        Self::default()
    }

    /// The page-wide pass answers `words` for any page (line and strip reads stay empty).
    pub fn page_words(mut self, words: Vec<Word>) -> Self {
        self.page = words;
        self
    }

    /// Second looks (line and strip reads) answer `words`.
    pub fn second_look(mut self, words: Vec<Word>) -> Self {
        let strip = words.clone();
        self.lines = Some(Box::new(move |_| words.clone()));
        self.strips = Some(Box::new(move |_| strip.clone()));
        self
    }

    /// Strip reads answer what `read` makes of the strip.
    pub fn strips_by(mut self, read: impl FnMut(&Pix) -> Vec<Word> + Send + 'static) -> Self {
        self.strips = Some(Box::new(read));
        self
    }

    /// Line reads with the accents model (`recognize_line_accented`) answer `words`.
    pub fn accented(mut self, words: Vec<Word>) -> Self {
        self.accented = Some(Box::new(move |_| words.clone()));
        self
    }

    /// Orientation detection answers `quarter_turns` clockwise with `conf` (Tesseract
    /// OSD's scale: 2 is a guess, 15 is sure).
    pub fn osd(mut self, quarter_turns: u32, conf: f32) -> Self {
        self.osd = Some((quarter_turns, conf));
        self
    }

    /// How many strip reads the engine was asked for.
    pub fn strips_read(&self) -> usize {
        self.strips_read
    }

    /// How many line reads the engine was asked for.
    pub fn lines_read(&self) -> usize {
        self.lines_read
    }

    /// How many line reads with the accents model the engine was asked for.
    pub fn accented_read(&self) -> usize {
        self.accented_read
    }
}

impl OcrEngine for ScriptedEngine {
    fn recognize(&mut self, _: &Pix, _: u32) -> Result<Vec<Word>, TextError> {
        Ok(self.page.clone())
    }
    fn recognize_strip(&mut self, image: &Pix, _: u32) -> Result<Vec<Word>, TextError> {
        self.strips_read += 1;
        Ok(self
            .strips
            .as_mut()
            .map_or_else(Vec::new, |read| read(image)))
    }
    fn recognize_line(&mut self, image: &Pix, _: u32) -> Result<Vec<Word>, TextError> {
        self.lines_read += 1;
        Ok(self
            .lines
            .as_mut()
            .map_or_else(Vec::new, |read| read(image)))
    }
    fn recognize_line_accented(&mut self, image: &Pix, _: u32) -> Result<Vec<Word>, TextError> {
        self.accented_read += 1;
        Ok(self
            .accented
            .as_mut()
            .map_or_else(Vec::new, |read| read(image)))
    }
    fn detect_orientation(&mut self, _: &Pix) -> Option<(u32, f32)> {
        self.osd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Word {
        Word {
            text: text.into(),
            conf: 0.9,
            bbox: [0, 0, 10, 10],
            line: 1,
        }
    }

    #[test]
    fn each_read_answers_its_own_script() {
        let grey = Pix::from_gray(40, 20, &[200; 40 * 20]).unwrap();
        let texts = |w: Vec<Word>| w.into_iter().map(|w| w.text).collect::<Vec<_>>();

        let mut none = ScriptedEngine::new();
        assert!(none.recognize(&grey, 1).unwrap().is_empty());
        assert!(none.recognize_line(&grey, 1).unwrap().is_empty());
        assert!(none.recognize_strip(&grey, 1).unwrap().is_empty());
        assert_eq!(none.detect_orientation(&grey), None);

        let mut page = ScriptedEngine::new().page_words(vec![word("Faktura")]);
        assert_eq!(texts(page.recognize(&grey, 1).unwrap()), ["Faktura"]);
        assert!(page.recognize_line(&grey, 1).unwrap().is_empty());

        let mut second = ScriptedEngine::new().second_look(vec![word("INV-42")]);
        assert!(second.recognize(&grey, 1).unwrap().is_empty());
        assert_eq!(texts(second.recognize_line(&grey, 1).unwrap()), ["INV-42"]);
        assert_eq!(texts(second.recognize_strip(&grey, 1).unwrap()), ["INV-42"]);

        let mut by_image = ScriptedEngine::new()
            .osd(2, 3.5)
            .strips_by(|pix| vec![word(&format!("{}x{}", pix.width(), pix.height()))]);
        assert_eq!(
            texts(by_image.recognize_strip(&grey, 1).unwrap()),
            ["40x20"]
        );
        assert!(by_image.recognize_line(&grey, 1).unwrap().is_empty());
        assert_eq!(by_image.detect_orientation(&grey), Some((2, 3.5)));
        assert_eq!(by_image.strips_read(), 1);
        assert_eq!(by_image.lines_read(), 1);
    }
}
