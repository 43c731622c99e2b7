//! Parse Tesseract's TSV output into words.
//!
//! Columns: level, page_num, block_num, par_num, line_num, word_num, left, top,
//! width, height, conf, text. Level 5 rows are words; the rest describe layout.

use super::Word;

pub fn parse(tsv: &str) -> Vec<Word> {
    let mut words = Vec::new();
    for line in tsv.lines() {
        let cols: Vec<&str> = line.splitn(12, '\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let text = cols[11].trim();
        if text.is_empty() {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<f64>().ok();
        let (Some(left), Some(top), Some(w), Some(h), Some(conf)) =
            (num(6), num(7), num(8), num(9), num(10))
        else {
            continue;
        };
        if conf < 0.0 {
            continue;
        }
        let (left, top) = (left.max(0.0) as u32, top.max(0.0) as u32);
        let id = |i: usize| cols[i].trim().parse::<u32>().unwrap_or(0);
        words.push(Word {
            line: 1 + id(2) * 1_000_000 + id(3) * 1_000 + id(4),
            text: text.to_string(),
            conf: (conf / 100.0).clamp(0.0, 1.0) as f32,
            bbox: [left, top, left + w.max(0.0) as u32, top + h.max(0.0) as u32],
        });
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_with_boxes_and_confidence() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t100\t200\t150\t40\t96.5\tFakturanr.:\n\
                   5\t1\t1\t1\t1\t2\t300\t200\t120\t40\t91\t2024-118\n\
                   5\t1\t1\t1\t1\t3\t500\t200\t10\t40\t95\t \n";
        let words = parse(tsv);
        assert_eq!(words.len(), 2);
        assert_eq!(words[0].text, "Fakturanr.:");
        assert_eq!(words[0].bbox, [100, 200, 250, 240]);
        assert!((words[1].conf - 0.91).abs() < 1e-6);
    }
}
