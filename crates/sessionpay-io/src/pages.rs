//! The pages of a folder held to the `total` they state: a page missing, cut
//! short or served twice is refused, not read as if the report were whole.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::read::{Input, Summary};

/// Checks, folder by folder, that the JSON responses in a folder agree on
/// their `total` and together hold exactly that many rows.
///
/// A page's number is the last run of digits in its file name
/// (`page-00007.json` is page 7); with them, the message names the pages
/// that look missing. Files in a folder that state no `total` (CSV, NDJSON)
/// take no part.
#[derive(Debug, Default)]
pub struct PageCheck {
    folder: Option<PathBuf>,
    pages: Vec<Page>,
    /// The paths in `pages`, so telling a folder named twice costs one look-up a page, not a
    /// walk over the pages seen (10,000 pages made that 50 million path comparisons).
    paths: HashSet<PathBuf>,
}

#[derive(Debug)]
struct Page {
    path: PathBuf,
    total: u64,
    rows: u64,
}

impl PageCheck {
    /// A check that has seen nothing.
    pub fn new() -> PageCheck {
        PageCheck::default()
    }

    /// Takes what reading `input` saw; inputs come in their order.
    ///
    /// # Errors
    /// [`Error::Shape`] naming the folder when the one before `input` fails the check.
    pub fn add(&mut self, input: &Input, summary: Summary) -> Result<()> {
        // The same folder named twice on the command line is read twice: two sets of pages.
        let again = self.paths.contains(&input.path);
        if input.folder != self.folder || again {
            self.finish()?;
            self.folder.clone_from(&input.folder);
        }
        if let (Some(_), Some(total)) = (&input.folder, summary.total) {
            self.paths.insert(input.path.clone());
            self.pages.push(Page {
                path: input.path.clone(),
                total,
                rows: summary.rows,
            });
        }
        Ok(())
    }

    /// Checks the last folder.
    ///
    /// # Errors
    /// [`Error::Shape`] naming the folder, the expected and the read count of rows
    /// and the pages that look missing, or the pages that disagree on `total`.
    pub fn finish(&mut self) -> Result<()> {
        let pages = std::mem::take(&mut self.pages);
        self.paths.clear();
        let (Some(folder), Some(first)) = (&self.folder, pages.first()) else {
            return Ok(());
        };
        let refuse = |problem: String| {
            Err(Error::Shape {
                path: folder.clone(),
                problem,
            })
        };
        if let Some(other) = pages.iter().find(|p| p.total != first.total) {
            return refuse(format!(
                "the pages disagree on the report's total: {} says {} but {} says {}",
                file_name(&first.path),
                first.total,
                file_name(&other.path),
                other.total
            ));
        }
        let total = first.total;
        let read: u64 = pages.iter().map(|p| p.rows).sum();
        if read == total {
            return Ok(());
        }
        let gap = if read < total {
            format!("{} missing", total - read)
        } else {
            format!("{} more than the total", read - total)
        };
        refuse(format!(
            "the pages hold {read} rows, but the report's total is {total} ({gap}); {}",
            which_pages(&pages, total)
        ))
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The number in a page's file name: its last run of digits.
fn page_number(path: &Path) -> Option<u64> {
    let stem = path.file_stem()?.to_str()?;
    let end = stem.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = stem[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    stem[start..end].parse().ok()
}

/// What the page numbers say: the numbers missing from the run the total
/// calls for (at the rows of the fullest page), or the pages that look short.
fn which_pages(pages: &[Page], total: u64) -> String {
    const SHOWN: usize = 20;
    let numbers: Option<Vec<u64>> = pages.iter().map(|p| page_number(&p.path)).collect();
    let Some(numbers) = numbers else {
        return "the page numbers cannot be told, as not every file name holds one".into();
    };
    let seen: BTreeSet<u64> = numbers.iter().copied().collect();
    let per_page = pages.iter().map(|p| p.rows).max().unwrap_or(0);
    if seen.len() != numbers.len() {
        return "two files have the same page number".into();
    }
    if per_page == 0 {
        return "every page is empty".into();
    }
    let start = u64::from(!seen.contains(&0));
    let count = total.div_ceil(per_page);
    let missing: Vec<u64> = (start..start.saturating_add(count))
        .filter(|n| !seen.contains(n))
        .collect();
    let list = |numbers: &[u64]| {
        let mut text = numbers
            .iter()
            .take(SHOWN)
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        if numbers.len() > SHOWN {
            text.push_str(&format!(" and {} more", numbers.len() - SHOWN));
        }
        text
    };
    let how = format!("a page's number is the last digits of its file name; {per_page} rows a page");
    if !missing.is_empty() {
        let (word, verb) = if missing.len() == 1 {
            ("page", "looks")
        } else {
            ("pages", "look")
        };
        return format!("{word} {} {verb} missing ({how})", list(&missing));
    }
    let last = seen.last().copied();
    let short: Vec<u64> = pages
        .iter()
        .zip(&numbers)
        .filter(|(p, n)| p.rows < per_page && Some(**n) != last)
        .map(|(_, n)| *n)
        .collect();
    if short.is_empty() {
        format!("no page number is missing ({how})")
    } else {
        format!(
            "no page number is missing, but pages {} hold fewer rows than the others ({how})",
            list(&short)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_number_is_the_last_run_of_digits() {
        for (name, number) in [
            ("page-00007.json", Some(7)),
            ("2026-05_p12.json", Some(12)),
            ("p3v2.json", Some(2)),
            ("page.json", None),
            ("10.json", Some(10)),
        ] {
            assert_eq!(page_number(Path::new(name)), number, "{name}");
        }
    }

    fn check(pages: &[(&str, u64, u64)]) -> Result<()> {
        let mut check = PageCheck::new();
        for (name, total, rows) in pages {
            let input = Input {
                path: PathBuf::from(format!("pages/{name}")),
                shape: Some(crate::Shape::Json),
                folder: Some(PathBuf::from("pages")),
                columns: Default::default(),
            };
            check.add(
                &input,
                Summary {
                    rows: *rows,
                    total: Some(*total),
                    ..Summary::default()
                },
            )?;
        }
        check.finish()
    }

    #[test]
    fn pages_short_of_their_total_name_the_missing_numbers() {
        assert!(check(&[("p1.json", 250, 100), ("p2.json", 250, 100), ("p3.json", 250, 50)]).is_ok());
        for (pages, read, missing) in [
            (&[("p1.json", 250, 100), ("p3.json", 250, 50)][..], 150, 2),
            (&[("p1.json", 250, 100), ("p2.json", 250, 100)][..], 200, 3),
        ] {
            assert_eq!(
                check(pages).unwrap_err().to_string(),
                format!(
                    "pages: the pages hold {read} rows, but the report's total is 250 ({} missing); \
                     page {missing} looks missing (a page's number is the last digits of its file name; \
                     100 rows a page)",
                    250 - read
                )
            );
        }
        let err = check(&[("p1.json", 250, 100), ("p2.json", 250, 60), ("p3.json", 250, 50)])
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("but pages 2 hold fewer rows than the others (a page's number is the last digits of its file name; 100 rows a page)"), "{err}");
        let err = check(&[("a.json", 250, 100), ("b.json", 250, 100), ("b2.json", 250, 100)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("(50 more than the total)"), "{err}");
        assert!(err.ends_with("not every file name holds one"), "{err}");
    }

    #[test]
    fn the_same_folder_given_twice_is_two_sets_of_pages() {
        let pages = [("p1.json", 150, 100), ("p2.json", 150, 50)];
        assert!(check(&[pages, pages].concat()).is_ok());
    }

    #[test]
    fn pages_that_disagree_on_the_total_are_refused() {
        assert_eq!(
            check(&[("p1.json", 250, 100), ("p2.json", 200, 100)])
                .unwrap_err()
                .to_string(),
            "pages: the pages disagree on the report's total: p1.json says 250 but p2.json says 200"
        );
    }
}
